#include "core/fiber.hpp"

// Under AddressSanitizer the ucontext flavour is used: it tells the sanitizer about each stack
// switch, which the assembly flavour of this Boost does not.
#if defined(__SANITIZE_ADDRESS__)
#define BOOST_USE_UCONTEXT
#define BOOST_USE_ASAN
#endif
#include <algorithm>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <cstdio>
#include <deque>
#include <map>

#if defined(__SANITIZE_ADDRESS__)
namespace boost::context::detail {

// Debian's Boost.Context library is built for the assembly flavour only. The ucontext flavour
// has one out-of-line function, defined here: where each thread records the context it runs.
fiber_activation_record*& fiber_activation_record::current() noexcept {
    struct Main {
        fiber_activation_record* record = new fiber_activation_record();
        Main() = default;
        Main(const Main&) = delete;
        Main& operator=(const Main&) = delete;
        ~Main() { delete record; }
    };
    thread_local Main main;
    thread_local fiber_activation_record* current_record = main.record;
    return current_record;
}

}  // namespace boost::context::detail
#endif

namespace sota::core {

namespace ctx = boost::context;

namespace fiber_detail {

enum class State { ready, running, parking, parked };

struct Fiber {
    FiberPool::Worker* worker = nullptr;
    std::function<void()> fn;
    ctx::fiber self;    // where the fiber goes on when resumed
    ctx::fiber caller;  // its thread's scheduler, while the fiber runs
    State state = State::ready;
    bool finished = false;
    bool permit = false;    // an unpark came while it was not parked: its next park returns
    bool yielding = false;  // back in the ready queue as soon as it is off its thread
    std::optional<std::multimap<SteadyTime, Fiber*>::iterator> timer;
};

}  // namespace fiber_detail

using fiber_detail::Fiber;
using fiber_detail::State;

namespace {

/// Stacks with a guard page, kept for the next fiber of the same thread when a fiber ends:
/// mapping, guarding and unmapping a stack per job (and faulting its pages in again) was a
/// real share of the daemon's system time. Only the worker's own thread touches its pool.
class StackPool {
  public:
    explicit StackPool(std::size_t bytes) : m_make(bytes) {}
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;
    ~StackPool() {
        for (auto& s : m_free) {
            m_make.deallocate(s);
        }
    }

    ctx::stack_context allocate() {
        if (m_free.empty()) {
            return m_make.allocate();
        }
        const ctx::stack_context s = m_free.back();
        m_free.pop_back();
        return s;
    }
    void deallocate(ctx::stack_context& s) {
#if defined(__SANITIZE_ADDRESS__)
        const bool keep = false;  // a reused stack would carry the last fiber's poisoned frames
#else
        const bool keep = m_free.size() < k_kept;
#endif
        if (keep) {
            m_free.push_back(s);
        } else {
            m_make.deallocate(s);
        }
    }

  private:
    static constexpr std::size_t k_kept = 256;
    ctx::protected_fixedsize_stack m_make;
    std::vector<ctx::stack_context> m_free;
};

/// The allocator handed to Boost: a handle on the worker's pool.
struct PooledStack {
    StackPool* pool;
    ctx::stack_context allocate() { return pool->allocate(); }
    void deallocate(ctx::stack_context& s) noexcept { pool->deallocate(s); }
};

}  // namespace

struct FiberPool::Worker {
    explicit Worker(std::size_t stack_bytes) : stacks(stack_bytes) {}

    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Fiber*> ready;
    std::multimap<SteadyTime, Fiber*> timers;  // parked fibers that wait with a deadline
    std::size_t live = 0;
    StackPool stacks;
    bool stopping = false;
    std::thread thread;

    void loop();
    void run(Fiber* f);
    void drop_timer(Fiber* f) {
        if (f->timer) {
            timers.erase(*f->timer);
            f->timer.reset();
        }
    }
    void make_ready(Fiber* f) {
        drop_timer(f);
        f->state = State::ready;
        ready.push_back(f);
    }
};

namespace {

thread_local Fiber* t_current = nullptr;

// Reads and writes of the thread's current fiber are kept out of line, so the compiler never
// caches a thread-local address across a stack switch.
[[gnu::noinline]] Fiber* current_fiber() {
    return t_current;
}

[[gnu::noinline]] void set_current_fiber(Fiber* f) {
    t_current = f;
}

/// Suspends the calling fiber until unpark() or `deadline` (spurious returns are possible; the
/// caller looks again at what it waits for).
void park_until(Fiber* f, std::optional<SteadyTime> deadline) {
    auto& w = *f->worker;
    {
        std::lock_guard lock(w.mutex);
        if (f->permit) {
            f->permit = false;
            return;
        }
        f->state = State::parking;
        if (deadline) {
            f->timer = w.timers.emplace(*deadline, f);
        }
    }
    f->caller = std::move(f->caller).resume();
}

void unpark(Fiber* f) {
    auto& w = *f->worker;
    {
        std::lock_guard lock(w.mutex);
        if (f->state != State::parked) {
            f->permit = true;
            return;
        }
        w.make_ready(f);
    }
    w.cv.notify_one();
}

void spawn_on(FiberPool::Worker& w, std::function<void()> fn) {
    auto* f = new Fiber();
    f->worker = &w;
    f->fn = std::move(fn);
    {
        std::lock_guard lock(w.mutex);
        ++w.live;
        w.ready.push_back(f);
    }
    w.cv.notify_one();
}

}  // namespace

void FiberPool::Worker::run(Fiber* f) {
    if (!f->self) {  // its first run: the stack is made on its own thread
        f->self = ctx::fiber(std::allocator_arg, PooledStack{&stacks}, [f](ctx::fiber&& caller) {
            f->caller = std::move(caller);
            try {
                f->fn();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "a task failed unexpectedly: %s\n", e.what());
            } catch (...) {
                std::fputs("a task failed unexpectedly\n", stderr);
            }
            f->fn = nullptr;
            f->finished = true;
            return std::move(f->caller);
        });
    }
    set_current_fiber(f);
    f->self = std::move(f->self).resume();
    set_current_fiber(nullptr);
}

void FiberPool::Worker::loop() {
    std::unique_lock lock(mutex);
    while (true) {
        const SteadyTime now = std::chrono::steady_clock::now();
        while (!timers.empty() && timers.begin()->first <= now) {
            Fiber* f = timers.begin()->second;
            if (f->state == State::parked) {
                make_ready(f);
            } else {
                drop_timer(f);
            }
        }
        if (ready.empty()) {
            if (stopping && live == 0) {
                return;
            }
            if (timers.empty()) {
                cv.wait(lock);
            } else {
                cv.wait_until(lock, timers.begin()->first);
            }
            continue;
        }
        Fiber* f = ready.front();
        ready.pop_front();
        f->state = State::running;
        lock.unlock();
        run(f);
        if (f->finished) {
            delete f;  // frees its stack
            lock.lock();
            --live;
            continue;
        }
        lock.lock();
        if (f->state == State::parking) {
            if (f->yielding) {
                f->yielding = false;
                make_ready(f);
            } else if (f->permit) {
                f->permit = false;
                make_ready(f);
            } else {
                f->state = State::parked;
            }
        }
    }
}

FiberPool::FiberPool(int threads, std::size_t stack_bytes) {
    const int n = std::max(1, threads);
    for (int i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>(stack_bytes);
        Worker* raw = w.get();
        w->thread = std::thread([raw] { raw->loop(); });
        m_workers.push_back(std::move(w));
    }
}

FiberPool::~FiberPool() {
    for (auto& w : m_workers) {
        {
            std::lock_guard lock(w->mutex);
            w->stopping = true;
        }
        w->cv.notify_all();
    }
    for (auto& w : m_workers) {
        w->thread.join();
    }
}

void FiberPool::spawn(std::function<void()> fn) {
    Worker* w = nullptr;
    {
        std::lock_guard lock(m_mutex);
        w = m_workers[m_next++ % m_workers.size()].get();
    }
    spawn_on(*w, std::move(fn));
}

std::size_t FiberPool::live() const {
    std::size_t n = 0;
    for (const auto& w : m_workers) {
        std::lock_guard lock(w->mutex);
        n += w->live;
    }
    return n;
}

int FiberPool::threads() const {
    return static_cast<int>(m_workers.size());
}

bool on_fiber() {
    return current_fiber() != nullptr;
}

namespace fiber_detail {

void run_on_file_threads(std::function<void()> task) {
    // Two threads: file writes are short, and more threads than cores would not make the
    // disk faster. They live as long as the process.
    struct Threads {
        std::mutex mutex;
        std::condition_variable cv;
        std::deque<std::function<void()>> tasks;
        Threads() {
            for (int i = 0; i < 2; ++i) {
                std::thread([this] {
                    std::unique_lock lock(mutex);
                    while (true) {
                        cv.wait(lock, [this] { return !tasks.empty(); });
                        auto next = std::move(tasks.front());
                        tasks.pop_front();
                        lock.unlock();
                        next();
                        next = nullptr;
                        lock.lock();
                    }
                }).detach();
            }
        }
    };
    static auto* threads = new Threads();  // never destroyed: its threads never end
    {
        std::lock_guard lock(threads->mutex);
        threads->tasks.push_back(std::move(task));
    }
    threads->cv.notify_one();
}

}  // namespace fiber_detail

void yield() {
    Fiber* f = current_fiber();
    if (!f) {
        return;
    }
    {
        std::lock_guard lock(f->worker->mutex);
        f->state = State::parking;
        f->yielding = true;
    }
    f->caller = std::move(f->caller).resume();
}

void sleep_until(SteadyTime deadline) {
    Fiber* f = current_fiber();
    if (!f) {
        std::this_thread::sleep_until(deadline);
        return;
    }
    while (std::chrono::steady_clock::now() < deadline) {
        park_until(f, deadline);  // an unpark meant for an earlier wait only makes it look again
    }
}

void Signal::notify() {
    std::lock_guard lock(m_mutex);
    m_set = true;
    // Woken under the lock: a fiber leaves wait_until() only through this lock, so it is still
    // alive here.
    for (Fiber* f : m_fibers) {
        unpark(f);
    }
    m_fibers.clear();
    m_cv.notify_all();
}

void Signal::reset() {
    std::lock_guard lock(m_mutex);
    m_set = false;
}

bool Signal::is_set() const {
    std::lock_guard lock(m_mutex);
    return m_set;
}

void Signal::wait() {
    Fiber* f = current_fiber();
    if (!f) {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_set; });
        return;
    }
    while (true) {
        {
            std::lock_guard lock(m_mutex);
            if (m_set) {
                return;
            }
            if (std::find(m_fibers.begin(), m_fibers.end(), f) == m_fibers.end()) {
                m_fibers.push_back(f);
            }
        }
        park_until(f, std::nullopt);
    }
}

bool Signal::wait_until(SteadyTime deadline) {
    Fiber* f = current_fiber();
    if (!f) {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_until(lock, deadline, [this] { return m_set; });
    }
    while (true) {
        {
            std::lock_guard lock(m_mutex);
            const auto mine = std::find(m_fibers.begin(), m_fibers.end(), f);
            if (m_set || std::chrono::steady_clock::now() >= deadline) {
                if (mine != m_fibers.end()) {
                    m_fibers.erase(mine);
                }
                return m_set;
            }
            if (mine == m_fibers.end()) {
                m_fibers.push_back(f);
            }
        }
        park_until(f, deadline);
    }
}

TaskGroup::~TaskGroup() {
    join();
}

void TaskGroup::run(std::function<void()> fn) {
    {
        std::lock_guard lock(m_mutex);
        ++m_pending;
        m_done.reset();
    }
    auto task = [this, fn = std::move(fn)] {
        try {
            fn();
        } catch (...) {
            finished();
            throw;
        }
        finished();
    };
    if (Fiber* f = current_fiber()) {
        spawn_on(*f->worker, std::move(task));
        return;
    }
    std::lock_guard lock(m_mutex);
    m_threads.emplace_back(std::move(task));
}

void TaskGroup::finished() {
    std::lock_guard lock(m_mutex);
    if (--m_pending == 0) {
        m_done.notify();
    }
}

void TaskGroup::join() {
    bool any = false;
    {
        std::lock_guard lock(m_mutex);
        any = m_pending > 0;
    }
    if (any) {
        m_done.wait();
    }
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_mutex);
        threads.swap(m_threads);
    }
    for (auto& t : threads) {
        t.join();
    }
}

}  // namespace sota::core
