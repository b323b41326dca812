#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/exit_codes.hpp"
#include "core/version.hpp"

// sotad's command line. The job server itself (socket, job database, scheduling) is the
// daemon's own body of work and is not part of this version: starting it says so and exits 1.
int main(int argc, char** argv) {
    CLI::App app("sotad: the sota job daemon", "sotad");
    app.set_version_flag("--version", std::string("sotad ") + sota::core::k_version);
    bool foreground = false;
    app.add_flag("--foreground", foreground, "Stay in the foreground and log to stderr");
    CLI11_PARSE(app, argc, argv);
    std::fprintf(stderr,
                 "sotad: this version has no job server yet; run commands with `sota` directly\n");
    return sota::core::to_int(sota::core::ExitCode::job_failed);
}
