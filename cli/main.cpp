#include <cstdio>
#include <exception>

#include "adapters/environment.hpp"
#include "cli/app.hpp"

int main(int argc, char** argv) {
    try {
        sota::cli::CliApp app;
        return app.run(argc, argv, sota::adapters::snapshot_environment());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sota: internal error: %s\nThis is a bug in sota; please report it.\n",
                     e.what());
        return 1;
    }
}
