#include "adapters/address_guard.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace sota::adapters {
namespace {

bool non_public_v4(std::uint32_t host_order) {
    const auto in = [&](std::uint32_t net, int bits) {
        const std::uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);
        return (host_order & mask) == (net & mask);
    };
    return in(0x00000000, 8) ||   // 0.0.0.0/8
           in(0x0A000000, 8) ||   // 10/8
           in(0x64400000, 10) ||  // 100.64/10
           in(0x7F000000, 8) ||   // 127/8
           in(0xA9FE0000, 16) ||  // 169.254/16
           in(0xAC100000, 12) ||  // 172.16/12
           in(0xC0A80000, 16) ||  // 192.168/16
           in(0xE0000000, 4) ||   // multicast 224/4
           in(0xF0000000, 4);     // reserved 240/4 and broadcast
}

}  // namespace

bool is_non_public_address(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        return non_public_v4(ntohl(v4->sin_addr.s_addr));
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        const unsigned char* b = v6->sin6_addr.s6_addr;
        static const unsigned char k_zero[16] = {};
        if (std::memcmp(b, k_zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
            return true;  // :: and ::1
        }
        if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff) {
            return true;  // fc00::/7, fe80::/10, ff00::/8
        }
        static const unsigned char k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(b, k_mapped, 12) == 0) {
            const std::uint32_t v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                                     (std::uint32_t{b[14]} << 8) | b[15];
            return non_public_v4(v4);
        }
        return false;
    }
    return true;  // anything else (unix sockets, ...) is not a web address
}

std::string address_text(const sockaddr* address) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, buf,
                    sizeof buf);
    } else if (address->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, buf,
                    sizeof buf);
    }
    return buf;
}

}  // namespace sota::adapters
