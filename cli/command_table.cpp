#include "cli/command_table.hpp"

#include <CLI/CLI.hpp>

namespace sota::cli {

void CommandTable::add(CLI::App* command, Handler run, bool needs_context) {
    m_handlers[command] = Entry{std::move(run), needs_context};
}

void CommandTable::add_raw(CLI::App* command, RawHandler run) {
    m_raw[command->get_name()] = std::move(run);
}

const RawHandler* CommandTable::find_raw(const std::string& name) const {
    const auto it = m_raw.find(name);
    return it == m_raw.end() ? nullptr : &it->second;
}

void CommandTable::add_completer(CLI::App* command, Completer completer) {
    m_completers[command] = std::move(completer);
}

const CommandTable::Entry* CommandTable::find(const CLI::App* command) const {
    const auto it = m_handlers.find(command);
    return it == m_handlers.end() ? nullptr : &it->second;
}

const Completer* CommandTable::completer(const CLI::App* command) const {
    const auto it = m_completers.find(command);
    return it == m_completers.end() ? nullptr : &it->second;
}

}  // namespace sota::cli
