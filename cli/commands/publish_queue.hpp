#pragma once

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota publish-queue list [--json]` and `sota publish-queue flush`.
struct PublishQueueOptions {
    bool json = false;
};

/// Adds `publish-queue`, `publish-queue list` and `publish-queue flush`.
void setup_publish_queue(CLI::App& parent, CommandTable& table);

/// Lists the WordPress posts waiting to be published again: id, slug, job, attempts, next
/// try, last error. Data on stdout.
int run_publish_queue_list(const PublishQueueOptions& options, Context& ctx);

/// Tries every waiting post now. Exit 0 when the queue is empty afterwards, 1 when some still
/// wait (or were given up), 5 when no WordPress site is configured.
int run_publish_queue_flush(const PublishQueueOptions& options, Context& ctx);

}  // namespace sota::cli
