#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace sota::adapters {

/// A short most-recent-first list: what a batch's thousands of jobs share (their workflow) is
/// kept after its first use instead of being read again for each job. The caller locks.
constexpr std::size_t k_recent = 8;

/// The first entry `match` accepts, moved to the front; null if there is none.
template <typename Entry, typename Match>
Entry* find_recent(std::vector<Entry>& recent, Match match) {
    const auto it = std::find_if(recent.begin(), recent.end(), match);
    if (it == recent.end()) {
        return nullptr;
    }
    std::rotate(recent.begin(), it, it + 1);
    return &recent.front();
}

/// Puts `entry` first, dropping the oldest beyond k_recent, and returns it.
template <typename Entry>
Entry& add_recent(std::vector<Entry>& recent, Entry entry) {
    if (recent.size() >= k_recent) {
        recent.pop_back();
    }
    recent.insert(recent.begin(), std::move(entry));
    return recent.front();
}

}  // namespace sota::adapters
