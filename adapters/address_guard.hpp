#pragma once

#include <string>

struct sockaddr;

namespace sota::adapters {

/// True for addresses a web fetch must not reach by default: loopback, RFC 1918 private,
/// link-local (incl. cloud metadata 169.254.169.254), CGNAT 100.64/10, "this network" 0/8,
/// multicast and broadcast; IPv6 loopback, unspecified, unique-local fc00::/7, link-local
/// fe80::/10, multicast, and IPv4-mapped forms of the IPv4 ranges.
bool is_non_public_address(const sockaddr* address);

/// The numeric text of an address ("127.0.0.1", "::1").
std::string address_text(const sockaddr* address);

}  // namespace sota::adapters
