#include "cli/interrupt.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace sota::cli {

namespace {

// Set by the SIGINT/SIGTERM handler (a lock-free atomic is safe there); a watcher thread turns
// it into a cancel. A second signal exits at once.
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_interrupt(int) {
    if (g_interrupts++ > 0) {
        ::_exit(130);
    }
}

}  // namespace

InterruptWatch::InterruptWatch(core::CancelToken token, std::function<void(const std::string&)> say)
    : m_token(std::move(token)), m_say(std::move(say)) {
    g_interrupts = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &m_old_int);
    ::sigaction(SIGTERM, &sa, &m_old_term);
    m_thread = std::thread([this] {
        while (!m_stop.load()) {
            if (g_interrupts > 0 && !m_token.cancelled()) {
                const std::string text =
                    "Interrupted: stopping the running steps (Ctrl-C again to quit at once)";
                if (m_say) {
                    m_say(text);
                } else {
                    std::fprintf(stderr, "\n%s\n", text.c_str());
                }
                m_token.cancel();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

InterruptWatch::~InterruptWatch() {
    m_stop = true;
    m_thread.join();
    ::sigaction(SIGINT, &m_old_int, nullptr);
    ::sigaction(SIGTERM, &m_old_term, nullptr);
}

bool InterruptWatch::interrupted() const {
    return g_interrupts.load() > 0;
}

}  // namespace sota::cli
