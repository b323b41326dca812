#include "adapters/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sota::adapters {
namespace {

std::string octal(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

core::Unexpected io_error(const std::string& what, const std::filesystem::path& path) {
    return core::fail(core::ErrorKind::io, "io.failed",
                      what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

core::Status ensure_private_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir.parent_path(), ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return io_error("cannot create directory", dir);
        }
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        return io_error("cannot read directory", dir);
    }
    if (!S_ISDIR(st.st_mode)) {
        return core::fail(core::ErrorKind::io, "io.not_a_directory",
                          dir.string() + " exists but is not a directory; move it away");
    }
    if (st.st_uid != geteuid()) {
        return core::fail(core::ErrorKind::credentials, "io.wrong_owner",
                          dir.string() + " belongs to another user (uid " +
                              std::to_string(st.st_uid) +
                              "); use a directory of your own (set SOTA_HOME)");
    }
    if ((st.st_mode & 0022) != 0) {
        return core::fail(core::ErrorKind::credentials, "io.unsafe_permissions",
                          dir.string() + " has mode " + octal(st.st_mode) +
                              ", writable by others; run: chmod 700 " + dir.string());
    }
    return {};
}

core::Status check_private_file(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return {};
        }
        return io_error("cannot read", file);
    }
    if (st.st_uid != geteuid()) {
        return core::fail(core::ErrorKind::credentials, "keys.wrong_owner",
                          file.string() + " belongs to another user (uid " +
                              std::to_string(st.st_uid) + "); sota only reads a keys file you own");
    }
    if ((st.st_mode & 0077) != 0) {
        return core::fail(core::ErrorKind::credentials, "keys.unsafe_permissions",
                          file.string() + " has mode " + octal(st.st_mode) +
                              ", so other users may read your API keys; run: chmod 600 " +
                              file.string());
    }
    return {};
}

core::Status write_file_atomically(const std::filesystem::path& file, std::string_view content,
                                   unsigned mode, Durability durability) {
    const std::filesystem::path tmp = file.parent_path() / ("." + file.filename().string() +
                                                            ".tmp." + std::to_string(::getpid()));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC,
                          static_cast<mode_t>(mode));
    if (fd < 0) {
        return io_error("cannot create", tmp);
    }
    // The umask may have narrowed the mode; make it exactly what was asked.
    ::fchmod(fd, static_cast<mode_t>(mode));
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ::close(fd);
            ::unlink(tmp.c_str());
            return io_error("cannot write", tmp);
        }
        written += static_cast<std::size_t>(n);
    }
    if ((durability == Durability::disk && ::fsync(fd) != 0) || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return io_error("cannot flush", tmp);
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return io_error("cannot replace", file);
    }
    return {};
}

core::Expected<std::string> read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) {
            return core::fail(core::ErrorKind::not_found, "io.not_found",
                              file.string() + " does not exist");
        }
        return io_error("cannot open", file);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace sota::adapters
