#include <spdlog/spdlog.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/logging.hpp"

using namespace sota;

namespace {
constexpr const char* k_canary = "canary-key-5b1e77d0c4";
}

TEST_CASE("a canary key never reaches a log line, in text or JSON", "[logging]") {
    auto redactor = std::make_shared<core::Redactor>();
    redactor->add_secret("openai", k_canary);
    for (const bool json : {false, true}) {
        std::string captured;
        adapters::LogSettings settings;
        settings.json = json;
        settings.level = "debug";
        auto logger = adapters::make_logger(settings, redactor,
                                            [&](std::string_view line) { captured += line; });
        logger->info("calling with key {}", k_canary);
        logger->debug("header Authorization: Bearer {}", k_canary);
        logger->error("{}{}", "canary-key-", "5b1e77d0c4");  // assembled by the formatter
        CHECK(captured.find(k_canary) == std::string::npos);
        CHECK(captured.find("[redacted:openai]") != std::string::npos);
    }
}

TEST_CASE("JSON lines carry time, level, message and the thread's fields", "[logging]") {
    std::string captured;
    adapters::LogSettings settings;
    settings.json = true;
    auto logger =
        adapters::make_logger(settings, nullptr, [&](std::string_view line) { captured += line; });
    {
        adapters::ScopedLogFields fields({"req-1", "job-42", "generate"});
        logger->warn("slow answer");
    }
    logger->info("after");
    const auto first = nlohmann::json::parse(captured.substr(0, captured.find('\n')));
    CHECK(first["level"] == "warn");
    CHECK(first["message"] == "slow answer");
    CHECK(first["job_id"] == "job-42");
    CHECK(first["step"] == "generate");
    CHECK(first["request_id"] == "req-1");
    CHECK(first["time"].get<std::string>().size() == 24);
    const auto second = nlohmann::json::parse(captured.substr(captured.find('\n') + 1));
    CHECK_FALSE(second.contains("job_id"));
}

TEST_CASE("the level filters lines", "[logging]") {
    std::string captured;
    adapters::LogSettings settings;
    settings.level = "warn";
    auto logger =
        adapters::make_logger(settings, nullptr, [&](std::string_view line) { captured += line; });
    logger->info("quiet");
    logger->warn("loud");
    CHECK(captured.find("quiet") == std::string::npos);
    CHECK(captured.find("warn sota: loud") != std::string::npos);
}

TEST_CASE("a text log line stays one line whatever it quotes", "[logging]") {
    std::string captured;
    adapters::LogSettings settings;
    settings.level = "debug";
    auto logger =
        adapters::make_logger(settings, nullptr, [&](std::string_view line) { captured += line; });
    {
        adapters::ScopedLogFields fields({"req\n1", "", ""});
        logger->error("request {} {} failed", "GET",
                      "/v1/jobs/x\n2026-01-01T00:00:00.000Z info sotad: forged\x1b[2J");
    }
    CHECK(std::count(captured.begin(), captured.end(), '\n') == 1);
    CHECK(captured.find('\x1b') == std::string::npos);
    CHECK(captured.find("/v1/jobs/x\\n2026-01-01T00:00:00.000Z info sotad: forged\\x1b[2J") !=
          std::string::npos);
    CHECK(captured.find("request_id=req\\n1") != std::string::npos);
}
