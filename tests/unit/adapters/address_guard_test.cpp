#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include "adapters/address_guard.hpp"

namespace {
bool blocked(const char* text) {
    sockaddr_in6 v6{};
    sockaddr_in v4{};
    if (::inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        return sota::adapters::is_non_public_address(reinterpret_cast<sockaddr*>(&v4));
    }
    REQUIRE(::inet_pton(AF_INET6, text, &v6.sin6_addr) == 1);
    v6.sin6_family = AF_INET6;
    return sota::adapters::is_non_public_address(reinterpret_cast<sockaddr*>(&v6));
}
}  // namespace

TEST_CASE("non-public addresses are recognised, public ones are not", "[guard]") {
    for (const char* a :
         {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
          "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1",
          "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1"}) {
        INFO(a);
        CHECK(blocked(a));
    }
    for (const char* a :
         {"8.8.8.8", "172.32.0.1", "93.184.216.34", "2606:2800:220:1::1", "::ffff:8.8.8.8"}) {
        INFO(a);
        CHECK_FALSE(blocked(a));
    }
}
