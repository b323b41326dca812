#pragma once

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota doctor`.
struct DoctorOptions {
    bool json = false;
    bool call = false;  ///< also make a one-token call and one search (costs a little)
};

/// Adds `doctor`.
void setup_doctor(CLI::App& parent, CommandTable& table);

/// Checks every configured provider: key, endpoint, model, and (with --call) a real call.
/// Exit 0 if every required provider is healthy, 5 if a required key is missing, else 1.
int run_doctor(const DoctorOptions& options, Context& ctx);

}  // namespace sota::cli
