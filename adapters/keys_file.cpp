#include "adapters/keys_file.hpp"

#include <nlohmann/json.hpp>

#include "adapters/private_files.hpp"

namespace sota::adapters {

core::Expected<std::map<std::string, std::string>> KeysFile::load() const {
    auto safe = check_private_file(m_path);
    if (!safe) {
        return core::fail(safe.error());
    }
    auto text = read_file(m_path);
    if (!text) {
        if (text.error().kind == core::ErrorKind::not_found) {
            return std::map<std::string, std::string>{};
        }
        return core::fail(text.error());
    }
    std::map<std::string, std::string> keys;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return core::fail(core::ErrorKind::credentials, "keys.corrupt",
                          m_path.string() +
                              " is not a JSON object of key names to values; fix it or remove it "
                              "and store the keys again with `sota keys set NAME`");
    }
    for (const auto& [name, value] : json.items()) {
        if (!value.is_string()) {
            return core::fail(core::ErrorKind::credentials, "keys.corrupt",
                              m_path.string() + ": the value of '" + name +
                                  "' is not a string; store it again with `sota keys set " + name +
                                  "`");
        }
        keys[name] = value.get<std::string>();
    }
    return keys;
}

core::Status KeysFile::set(std::string_view name, std::string_view value) const {
    auto keys = load();
    if (!keys) {
        return core::fail(keys.error());
    }
    (*keys)[std::string(name)] = std::string(value);
    return save(*keys);
}

core::Status KeysFile::remove(std::string_view name) const {
    auto keys = load();
    if (!keys) {
        return core::fail(keys.error());
    }
    if (keys->erase(std::string(name)) == 0) {
        return core::fail(core::ErrorKind::not_found, "keys.not_found",
                          "the keys file " + m_path.string() + " holds no key named '" +
                              std::string(name) + "'; `sota keys list` shows what is stored");
    }
    return save(*keys);
}

core::Status KeysFile::save(const std::map<std::string, std::string>& keys) const {
    auto dir = ensure_private_dir(m_path.parent_path());
    if (!dir) {
        return dir;
    }
    const nlohmann::json json(keys);
    return write_file_atomically(m_path, json.dump(2) + "\n", 0600);
}

}  // namespace sota::adapters
