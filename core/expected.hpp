#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace sota::core {

/// Wraps an Error so that it converts into any Expected<T>.
struct Unexpected {
    Error error;
};

/// Shorthand for returning a failure: `return fail(ErrorKind::usage, "x.y", "...")`.
inline Unexpected fail(ErrorKind kind, std::string code, std::string message, bool retry = false) {
    return Unexpected{Error{kind, std::move(code), std::move(message), retry}};
}
inline Unexpected fail(Error error) {
    return Unexpected{std::move(error)};
}

/// A value or an Error (a small stand-in for C++23 std::expected). Accessing the wrong
/// alternative is a bug and asserts.
template <typename T>
class [[nodiscard]] Expected {
  public:
    Expected(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Expected(Unexpected u) : m_state(std::in_place_index<1>, std::move(u.error)) {}

    bool has_value() const { return m_state.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(m_state);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(m_state);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!has_value());
        return std::get<1>(m_state);
    }

  private:
    std::variant<T, Error> m_state;
};

/// Expected<void>: success carries nothing.
template <>
class [[nodiscard]] Expected<void> {
  public:
    Expected() = default;
    Expected(Unexpected u) : m_error(std::move(u.error)), m_ok(false) {}

    bool has_value() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error& error() const {
        assert(!m_ok);
        return m_error;
    }

  private:
    Error m_error;
    bool m_ok = true;
};

using Status = Expected<void>;

}  // namespace sota::core
