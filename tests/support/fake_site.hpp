#pragma once

#include "tests/support/fake_http_server.hpp"

namespace sota::test {

/// A small website for competitor pages and reference checks:
/// /robots.txt (disallows /private/ for everyone, /blocked-for-sota for "sota"),
/// /article/N (HTML with a title, H1-H3 outline and ~N*100 words), /latin1 (ISO-8859-1 page),
/// /meta-charset (charset only in <meta>), /redirect -> /article/1, /loop (endless redirects),
/// /private/page, /blocked-for-sota, /doc.pdf (application/pdf), /gone (410), /error (500),
/// /head-refused (405 to HEAD, 200 to GET).
void install_site(FakeHttpServer& server);

}  // namespace sota::test
