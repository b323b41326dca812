#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "core/fiber.hpp"
#include "core/thread_timers.hpp"

using namespace sota::core;
using namespace std::chrono_literals;

namespace {

/// Counts how many fibers wait at once.
struct Gauge {
    std::atomic<int> now{0};
    std::atomic<int> peak{0};
    void enter() {
        const int n = ++now;
        int p = peak.load();
        while (n > p && !peak.compare_exchange_weak(p, n)) {
        }
    }
    void leave() { --now; }
};

}  // namespace

TEST_CASE("a thousand fibers wait for one signal on two threads", "[fiber]") {
    Signal go;
    std::atomic<int> done{0};
    Gauge waiting;
    std::mutex mutex;
    std::set<std::thread::id> threads;
    {
        FiberPool pool(2);
        REQUIRE(pool.threads() == 2);
        for (int i = 0; i < 1000; ++i) {
            pool.spawn([&] {
                CHECK(on_fiber());
                waiting.enter();
                go.wait();
                waiting.leave();
                {
                    std::lock_guard lock(mutex);
                    threads.insert(std::this_thread::get_id());
                }
                ++done;
            });
        }
        for (int i = 0; i < 500 && waiting.now.load() < 1000; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        CHECK(waiting.now.load() == 1000);  // every one waits, and none holds a thread
        CHECK(done.load() == 0);
        CHECK(pool.live() == 1000);
        go.notify();
    }  // the pool's destructor waits for them all
    CHECK(done.load() == 1000);
    CHECK(threads.size() == 2);
    CHECK_FALSE(on_fiber());
}

TEST_CASE("await frees the thread while a callback is pending", "[fiber]") {
    ThreadTimers timers;
    std::atomic<int> sum{0};
    Gauge waiting;
    {
        FiberPool pool(1);
        for (int i = 0; i < 300; ++i) {
            pool.spawn([&, i] {
                waiting.enter();
                const int value = await<int>([&](auto done) {
                    timers.after(200ms, [done = std::move(done), i] { done(i); });
                });
                waiting.leave();
                sum += value;
            });
        }
    }
    CHECK(sum.load() == 300 * 299 / 2);
    CHECK(waiting.peak.load() == 300);  // all 300 were waiting at once on one thread
}

TEST_CASE("a callback that answers at once does not park", "[fiber]") {
    int got = 0;
    {
        FiberPool pool(1);
        pool.spawn([&] { got = await<int>([](auto done) { done(7); }); });
    }
    CHECK(got == 7);
    // And on a plain thread.
    CHECK(await<int>([](auto done) { std::thread([done] { done(9); }).join(); }) == 9);
}

TEST_CASE("a signal's timed wait ends at its deadline or when notified", "[fiber]") {
    Signal never;
    Signal soon;
    bool timed_out = false;
    bool notified = false;
    SteadyTime waited_until{};
    SteadyTime deadline{};
    {
        FiberPool pool(1);
        pool.spawn([&] {
            deadline = std::chrono::steady_clock::now() + 100ms;
            timed_out = !never.wait_until(deadline);
            waited_until = std::chrono::steady_clock::now();
        });
        pool.spawn([&] { notified = soon.wait_until(std::chrono::steady_clock::now() + 60s); });
        std::this_thread::sleep_for(20ms);
        soon.notify();
    }
    CHECK(timed_out);
    CHECK(waited_until >= deadline);
    CHECK(notified);
    CHECK(soon.is_set());
    soon.reset();
    CHECK_FALSE(soon.is_set());
    // On a plain thread.
    CHECK_FALSE(never.wait_until(std::chrono::steady_clock::now() + 10ms));
}

TEST_CASE("a task group on a fiber runs its tasks as fibers of the same thread", "[fiber]") {
    std::atomic<int> ran{0};
    std::set<std::thread::id> seen;
    std::mutex mutex;
    Signal release;
    {
        FiberPool pool(2);
        pool.spawn([&] {
            TaskGroup tasks;
            for (int i = 0; i < 50; ++i) {
                tasks.run([&] {
                    CHECK(on_fiber());
                    release.wait();  // all 50 wait at once: they cannot be threads of a pool of 2
                    std::lock_guard lock(mutex);
                    seen.insert(std::this_thread::get_id());
                    ++ran;
                });
            }
            release.notify();
            tasks.join();
            CHECK(ran.load() == 50);
        });
    }
    CHECK(ran.load() == 50);
    CHECK(seen.size() == 1);

    // Off a fiber the tasks are threads.
    std::atomic<int> on_fibers{0};
    TaskGroup threads;
    for (int i = 0; i < 4; ++i) {
        threads.run([&] { on_fibers += on_fiber() ? 1 : 0; });
    }
    threads.join();
    CHECK(on_fibers.load() == 0);
}

TEST_CASE("an exception escaping a fiber does not stop the pool", "[fiber]") {
    std::atomic<int> after{0};
    {
        FiberPool pool(1);
        pool.spawn([] { throw std::runtime_error("boom"); });
        pool.spawn([&] { ++after; });
    }
    CHECK(after.load() == 1);
}

TEST_CASE("yield lets the ready fibers of the thread run first", "[fiber]") {
    std::vector<int> order;
    {
        FiberPool pool(1);
        Signal start;
        pool.spawn([&] {
            start.wait();
            order.push_back(1);
            yield();  // the two below are ready by now
            order.push_back(4);
        });
        pool.spawn([&] {
            start.wait();
            order.push_back(2);
        });
        pool.spawn([&] {
            start.wait();
            order.push_back(3);
        });
        std::this_thread::sleep_for(20ms);
        start.notify();
    }
    CHECK(order == std::vector<int>{1, 2, 3, 4});
    yield();  // off a fiber: nothing happens
}

TEST_CASE("a sleeping fiber leaves its thread to the others and wakes at its time", "[fiber]") {
    std::vector<int> order;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration slept{};
    {
        FiberPool pool(1);
        pool.spawn([&] {
            order.push_back(1);
            sleep_until(start + 60ms);
            slept = std::chrono::steady_clock::now() - start;
            order.push_back(3);
        });
        pool.spawn([&] { order.push_back(2); });
    }
    CHECK(order == std::vector<int>{1, 2, 3});
    CHECK(slept >= 60ms);
    const auto before = std::chrono::steady_clock::now();
    sleep_until(before + 10ms);  // off a fiber: the thread sleeps
    CHECK(std::chrono::steady_clock::now() - before >= 10ms);
}

TEST_CASE("a blocking call from a fiber leaves the thread to the other fibers", "[fiber]") {
    std::vector<std::string> order;
    std::mutex mutex;
    auto note = [&](const std::string& what) {
        std::lock_guard lock(mutex);
        order.push_back(what);
    };
    {
        FiberPool pool(1);
        pool.spawn([&] {
            const int got = run_blocking<int>([&] {
                std::this_thread::sleep_for(200ms);  // stands for waiting on a child process
                return 42;
            });
            note("blocking call returned " + std::to_string(got));
        });
        pool.spawn([&] { note("other fiber ran"); });
    }
    REQUIRE(order.size() == 2);
    CHECK(order[0] == "other fiber ran");
    CHECK(order[1] == "blocking call returned 42");
    CHECK(run_blocking<int>([] { return 7; }) == 7);  // on a thread: right here
}

TEST_CASE("file calls from many fibers run on a few shared threads, and the fibers go on",
          "[fiber]") {
    std::mutex mutex;
    std::set<std::thread::id> file_threads;
    std::atomic<int> busy{0}, most_busy{0}, other_ran{0};
    {
        FiberPool pool(1);
        for (int i = 0; i < 40; ++i) {
            pool.spawn([&, i] {
                const int got = run_file_io<int>([&] {
                    const int now = ++busy;
                    int seen = most_busy.load();
                    while (now > seen && !most_busy.compare_exchange_weak(seen, now)) {
                    }
                    {
                        std::lock_guard lock(mutex);
                        file_threads.insert(std::this_thread::get_id());
                    }
                    std::this_thread::sleep_for(5ms);  // stands for a slow mkdir
                    --busy;
                    return i;
                });
                CHECK(got == i);
            });
        }
        pool.spawn([&] { ++other_ran; });
    }
    CHECK(other_ran == 1);
    CHECK(file_threads.size() <= 2);
    CHECK(most_busy <= 2);
    CHECK(file_threads.count(std::this_thread::get_id()) == 0);
    CHECK(run_file_io<int>([] { return 7; }) == 7);  // on a thread: right here
}
