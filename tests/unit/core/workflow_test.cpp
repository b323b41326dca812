#include <catch2/catch.hpp>

#include "core/pipeline/workflow.hpp"

using namespace sota::core;
using namespace sota::core::pipeline;
using nlohmann::json;

TEST_CASE("every built-in workflow plans, with references and internal links in parallel",
          "[workflow]") {
    for (const auto& w : builtin_workflows()) {
        INFO(w.name);
        auto levels = plan(w);
        REQUIRE(levels);
        CHECK(std::find(levels->begin(), levels->end(),
                        std::vector<std::string>{"references", "internal_links"}) != levels->end());
    }
    const auto* standard = find_builtin_workflow("standard");
    REQUIRE(standard);
    CHECK(standard->steps.size() == 8);
    CHECK(standard->deadline == std::chrono::seconds(900));
    CHECK(standard->steps[3].timeout == std::chrono::seconds(120));  // generate
    CHECK(plan(*find_builtin_workflow("refresh"))->front() ==
          std::vector<std::string>{"load_existing", "semantic_keywords"});
}

TEST_CASE("workflow files define built-in, prompt and program steps", "[workflow]") {
    const json doc = {{"name", "mine"},
                      {"deadline", "10m"},
                      {"steps",
                       {{{"uses", "semantic_keywords"}, {"model", "anthropic:claude-haiku-4-5"}},
                        {{"uses", "blueprint"}, {"inputs", {"keyword", "keywords"}}},
                        {{"id", "summary"},
                         {"prompt", "Summarise {{outline}} for {{keyword}}"},
                         {"max_tokens", 400},
                         {"inputs", {"outline"}}},
                        {{"id", "lint"},
                         {"run", {"./lint", "--json"}},
                         {"inputs", {"summary"}},
                         {"timeout", "20s"}}}}};
    auto w = workflow_from_json(doc, "mine.toml");
    REQUIRE(w);
    CHECK(w->deadline == std::chrono::minutes(10));
    CHECK(w->steps[0].model == "anthropic:claude-haiku-4-5");
    CHECK(w->steps[2].kind == StepKind::prompt);
    CHECK(w->steps[2].outputs == std::vector<std::string>{"summary"});
    CHECK(w->steps[2].max_tokens == 400);
    CHECK_FALSE(w->steps[1].max_tokens);
    CHECK(w->steps[3].command.size() == 2);
    auto levels = plan(*w);
    REQUIRE(levels);
    CHECK(levels->size() == 4);
}

TEST_CASE("unrunnable workflows are refused before anything runs, naming the problem",
          "[workflow]") {
    auto error_of = [](const json& doc) {
        auto w = workflow_from_json(doc, "w.toml");
        if (!w) {
            return w.error().message;
        }
        auto p = plan(*w);
        return p ? std::string() : p.error().message;
    };
    CHECK(error_of({{"name", "x"}, {"steps", {{{"uses", "genrate"}}}}})
              .find("did you mean 'generate'") != std::string::npos);
    CHECK(error_of({{"name", "x"}, {"steps", {{{"uses", "generate"}}}}}).find("needs 'outline'") !=
          std::string::npos);
    CHECK(error_of({{"name", "x"},
                    {"steps",
                     {{{"id", "a"}, {"prompt", "p"}, {"inputs", {"b"}}, {"outputs", {"a"}}},
                      {{"id", "b"}, {"prompt", "p"}, {"inputs", {"a"}}, {"outputs", {"b"}}}}}})
              .find("cycle: a, b") != std::string::npos);
    CHECK(error_of({{"name", "x"},
                    {"steps", {{{"uses", "semantic_keywords"}}, {{"uses", "semantic_keywords"}}}}})
              .find("two steps are named") != std::string::npos);
    CHECK(error_of({{"name", "x"},
                    {"steps", {{{"id", "k"}, {"prompt", "p"}, {"outputs", {"keyword"}}}}}})
              .find("the job provides it") != std::string::npos);
    CHECK(
        error_of({{"name", "x"}, {"steps", {{{"uses", "semantic_keywords"}, {"timeout", "soon"}}}}})
            .find("timeout") != std::string::npos);
    CHECK(error_of({{"name", "x"}, {"steps", {{{"id", "p"}, {"prompt", "p"}, {"max_tokens", 0}}}}})
              .find("max_tokens is a whole number from 1 to 128000") != std::string::npos);
    CHECK(error_of({{"name", "x"}, {"steps", {{{"uses", "blueprint"}, {"max_tokens", 100}}}}})
              .find("max_tokens belongs to prompt steps") != std::string::npos);
    CHECK(error_of({{"name", "x"}, {"steps", {{{"uses", "semantic_keywords"}, {"modle", "m"}}}}})
              .find("did you mean 'model'") != std::string::npos);
    CHECK(error_of({{"name", "x"}, {"steps", {{{"uses", "generate"}, {"prompt", "p"}}}}})
              .find("exactly one of") != std::string::npos);
    CHECK(error_of({{"steps", json::array()}}).find("needs a name") != std::string::npos);
}

TEST_CASE("the timeout hint names the real setting of each kind of step", "[workflow]") {
    const StepSpec* generate = nullptr;
    for (const auto& s : builtin_steps()) {
        if (s.uses == "generate") {
            generate = &s;
        }
    }
    REQUIRE(generate);
    CHECK(timeout_hint(*generate).find("--set step.generate.timeout=DURATION") !=
          std::string::npos);
    StepSpec prompt;
    prompt.id = "summary";
    prompt.kind = StepKind::prompt;
    const std::string hint = timeout_hint(prompt);
    CHECK(hint.find("step 'summary'") != std::string::npos);
    CHECK(hint.find("step..timeout") == std::string::npos);
    CHECK(hint.find("--set") == std::string::npos);
}
