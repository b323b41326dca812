#pragma once

#include <chrono>
#include <thread>

#include "adapters/daemon_client.hpp"

namespace sota::bench {

/// Waits (up to 10 s) until sotad answers its health check on `client`'s socket.
inline bool wait_until_ready(adapters::DaemonClient& client) {
    for (int i = 0; i < 200; ++i) {
        auto health = client.call("GET", "/v1/health");
        if (health && health->status == 200) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace sota::bench
