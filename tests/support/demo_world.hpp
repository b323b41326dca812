#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_providers.hpp"

namespace sota::test {

/// A plausible model for the pipeline's prompts: answers each built-in prompt (recognized by
/// its schema name or wording) with content of the right shape about the keyword, the way a
/// real model would, deterministically. Used for the shipped demo recording and pipeline tests.
std::string demo_reply(const nlohmann::json& openai_request);

/// How many requests to `llm` carried each built-in prompt (by schema name, or write_section /
/// write_intro for text prompts; "other" for the rest).
std::map<std::string, int> prompts_seen(const FakeHttpServer& llm);

/// An OpenAI-compatible model, Serper and six competitor/reference sites, all on 127.0.0.1.
/// The sites have realistic names (home-barista.example, ...) reached through http.connect_to.
class DemoWorld {
  public:
    DemoWorld();

    /// The --set flags that point sota at this world (providers, connect_to, private
    /// addresses allowed, keys passed with --key).
    std::vector<std::string> sota_args() const;

    FakeHttpServer llm_server;
    FakeHttpServer serp_server;
    FakeHttpServer site_server;
    std::shared_ptr<FakeLlm> llm;
    std::shared_ptr<FakeSerp> serp;
    /// Milliseconds each section-writing call takes (to catch a run mid-step).
    std::shared_ptr<std::atomic<int>> section_delay_ms;
    std::vector<std::string> hosts;
};

}  // namespace sota::test
