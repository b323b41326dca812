#include "tests/support/demo_world.hpp"

#include <chrono>
#include <map>
#include <thread>

#include "tests/support/fake_site.hpp"

namespace sota::test {

using nlohmann::json;

namespace {

std::string between(const std::string& text, const std::string& start, const std::string& end) {
    const auto a = text.find(start);
    if (a == std::string::npos) {
        return "";
    }
    const auto from = a + start.size();
    const auto b = text.find(end, from);
    return text.substr(from, b == std::string::npos ? std::string::npos : b - from);
}

std::vector<std::string> list_lines(const std::string& block) {
    std::vector<std::string> items;
    std::size_t pos = 0;
    while (pos < block.size()) {
        auto end = block.find('\n', pos);
        if (end == std::string::npos) {
            end = block.size();
        }
        const std::string line = block.substr(pos, end - pos);
        if (line.rfind("- ", 0) == 0) {
            items.push_back(line.substr(2));
        }
        pos = end + 1;
    }
    return items;
}

std::string title_case(std::string text) {
    bool start = true;
    for (auto& c : text) {
        if (start && c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        start = c == ' ';
    }
    return text;
}

/// What the fake model writes under each subheading the fake blueprint plans: two paragraphs
/// each, so the demo article reads like an article and not like a template.
const std::map<std::string, std::vector<std::string>>& paragraphs_by_subheading() {
    static const std::map<std::string, std::vector<std::string>> bank = {
        {"Consistency first",
         {"Even grounds extract evenly. When particles vary in size, the small ones over-extract "
          "and taste bitter while the big ones stay sour. A good grinder keeps that spread "
          "narrow from the first shot of the day to the last.",
          "You can see consistency without a lab. Grind a dose onto white paper and look for "
          "boulders and dust. Fewer of both means cleaner, sweeter shots."}},
        {"Matching your brew",
         {"Start with what you brew most. A grinder tuned for espresso can struggle with filter "
          "coffee, and the reverse is also true. Write down your daily drinks before you compare "
          "models.",
          "If you switch methods often, look for a clear scale and a collar that returns to the "
          "same setting. Keep a grind size chart for every brew method near your station."}},
        {"Flat burrs",
         {"Flat burrs are two parallel rings of teeth. They grind fast and produce a narrow "
          "particle range, which gives clear, bright espresso with distinct flavour notes.",
          "They need careful alignment and heat up more when grinding for a crowd. For one or two "
          "shots a "
          "day at home, that heat hardly matters."}},
        {"Conical burrs",
         {"Conical burrs pair a cone inside a ring. They turn slower, run cooler and forgive "
          "small mistakes in dose and tamp, which makes them a friendly first choice.",
          "Their shots taste rounder and heavier in body. Many home baristas prefer that for "
          "milk drinks, where clarity matters less than sweetness."}},
        {"Single dosing explained",
         {"Single dosing means weighing beans for one shot and grinding all of them at once. "
          "Your beans stay sealed until you need them, so every cup is as fresh as the last.",
          "It only works when the grinder keeps little coffee inside. Look for retention under "
          "half a gram, and use a bellows or a few taps to clear the chute."}},
        {"Measured noise",
         {"Noise is easy to overlook in a shop and hard to ignore at seven in the morning. "
          "Slower burrs are quieter and heat the beans less.",
          "Compare measured figures, not marketing words. Under 70 decibels at one metre is quiet "
          "enough for an open-plan flat."}},
        {"Budget split",
         {"Budget for the grinder before the machine. Many baristas say the grinder matters more "
          "than the espresso machine, and a fair split is forty percent of your total budget.",
          "Spending more buys bigger burrs, better alignment and finer adjustment. Past about 600 "
          "dollars the gains get smaller and more personal."}},
        {"When to upgrade",
         {"Upgrade when the grinder limits your coffee, not when a new model appears. Clumping, "
          "drifting shot times and a collar that will not go fine enough are the real signs.",
          "A good grinder outlives several machines. Buy once, maintain it, and replace the "
          "burrs instead of the whole unit."}},
        {"Weekly cleaning",
         {"Oils from roasted beans build up on the burrs and turn stale within days. Brush the "
          "burrs every week and run grinder tablets once a month.",
          "Burr grinder maintenance takes ten minutes. Unplug the grinder, remove the top burr, "
          "brush both burrs and the chute, then put it back at the same setting."}},
        {"Dial in espresso faster",
         {"Change one thing at a time. Keep the dose fixed, adjust the grind, and time each "
          "shot until it lands between 25 and 30 seconds.",
          "Taste tells you the rest. Sour means grind finer, bitter means grind coarser. Write "
          "the setting on the bag so the next bag starts closer."}},
    };
    return bank;
}

/// Generic paragraphs for subheadings the bank does not know.
const std::vector<std::string>& fallback_paragraphs() {
    static const std::vector<std::string> bank = {
        "Start with the basics and test one change at a time. Small, measured steps show what "
        "actually makes a difference.",
        "Compare options on the features that change the result, not on the longest spec "
        "sheet. Price follows quality only up to a point.",
        "Keep notes as you go. A short log of settings and results saves hours the next time.",
    };
    return bank;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string section_text(const std::string& keyword, const std::string& heading,
                         const std::vector<std::string>& subheadings) {
    std::string out = "Here is what " + replace_all(heading, "\"", "") +
                      " means in daily use when you pick the " + keyword + ".\n\n";
    std::size_t fallback = heading.size();
    for (const auto& sub : subheadings) {
        out += "### " + sub + "\n\n";
        const auto known = paragraphs_by_subheading().find(sub);
        if (known != paragraphs_by_subheading().end()) {
            for (const auto& p : known->second) {
                out += p + "\n\n";
            }
        } else {
            out += fallback_paragraphs()[fallback++ % fallback_paragraphs().size()] + "\n\n";
        }
    }
    return out;
}

/// The article without the paragraphs that open a section with the writer's template
/// sentence ("Here is what ... means ...").
std::string without_template_openings(const std::string& markdown) {
    std::string out;
    std::size_t pos = 0;
    while (pos < markdown.size()) {
        auto end = markdown.find("\n\n", pos);
        end = end == std::string::npos ? markdown.size() : end + 2;
        const std::string block = markdown.substr(pos, end - pos);
        if (block.rfind("Here is what ", 0) != 0) {
            out += block;
        }
        pos = end;
    }
    return out;
}

/// The article with one answer per FAQ question, from what a barista would say.
std::string with_distinct_faq_answers(const std::string& markdown) {
    static const std::map<std::string, std::string> answers = {
        {"Which grinder should a beginner buy?",
         "A burr grinder with stepless adjustment and low retention. It forgives mistakes while "
         "you learn to dial in, and it keeps up when your taste improves."},
        {"How much should I spend on a grinder?",
         "Plan to spend about as much on the grinder as on the machine. A cheap grinder holds "
         "back even a good machine, while a good grinder makes a modest machine shine."},
        {"Do I need a burr grinder for espresso?",
         "Yes. Blade grinders chop beans into uneven pieces, and espresso needs the fine, even "
         "grounds that only burrs produce."},
    };
    std::string out = markdown;
    for (const auto& [question, answer] : answers) {
        const auto at = out.find("### " + question + "\n\n");
        if (at == std::string::npos) {
            continue;
        }
        const auto start = at + question.size() + 6;
        auto end = out.find("\n\n", start);
        end = end == std::string::npos ? out.size() : end;
        out.replace(start, end - start, answer);
    }
    return out;
}

json structured_answer(const std::string& name, const std::string& user) {
    const std::string keyword = [&] {
        for (const char* label : {"Main keyword: ", "Keyword: "}) {
            const std::string k = between(user, label, "\n");
            if (!k.empty()) {
                return k;
            }
        }
        return std::string("espresso grinder");
    }();
    if (name == "semantic_keywords") {
        json informational = json::array({keyword + " guide", "how to choose a " + keyword});
        json commercial = json::array({keyword + " reviews", keyword + " comparison"});
        for (const auto& r :
             list_lines(between(user, "Related searches from the results page:\n", "\n\n"))) {
            (r.find("cheap") != std::string::npos || r.find(" vs ") != std::string::npos
                 ? commercial
                 : informational)
                .push_back(r);
        }
        json questions = json::array();
        for (const auto& q : list_lines(between(user, "Questions people also ask:\n", "\n\n"))) {
            questions.push_back(q);
        }
        if (questions.empty()) {
            questions.push_back("what is a " + keyword);
        }
        return {{"primary_intent", "commercial"},
                {"clusters", json::array({{{"label", "Buying decision"},
                                           {"intent", "commercial"},
                                           {"keywords", commercial}},
                                          {{"label", "Learning the basics"},
                                           {"intent", "informational"},
                                           {"keywords", informational}},
                                          {{"label", "Questions buyers ask"},
                                           {"intent", "informational"},
                                           {"keywords", questions}}})}};
    }
    if (name == "gap_analysis") {
        return {{"covered", json::array({"Burr types", "Grind size", "Retention", "Price"})},
                {"missing",
                 json::array({"Measured noise levels", "Burr grinder maintenance",
                              "Single dosing workflow", "Grind settings for each brew method"})},
                {"angle", "Test-based advice that ties each feature to how the coffee tastes."}};
    }
    if (name == "blueprint") {
        const std::string title = title_case(keyword) + ": How to Choose the Right One";
        // A little long, as models often write them; auto-fix shortens it.
        std::string meta_title = title_case(keyword) + " Buying Guide: Burrs, Retention, Noise";
        return {{"title", title},
                {"meta_title", meta_title},
                {"meta_description",
                 "Find the " + keyword +
                     " for your kitchen: burr types, retention, noise, grind size and what to "
                     "spend, explained."},
                {"slug", keyword},
                {"sections",
                 json::array(
                     {{{"heading", "What to Look For in the " + title_case(keyword)},
                       {"subheadings", json::array({"Consistency first", "Matching your brew"})},
                       {"points", json::array({"even particle size", "espresso vs filter"})}},
                      {{"heading", "Burr Types Compared"},
                       {"subheadings", json::array({"Flat burrs", "Conical burrs"})},
                       {"points", json::array({"speed and evenness", "heat and forgiveness"})}},
                      {{"heading", "Retention, Noise and Workflow"},
                       {"subheadings", json::array({"Single dosing explained", "Measured noise"})},
                       {"points", json::array({"under half a gram", "decibels at one metre"})}},
                      {{"heading", "How Much to Spend"},
                       {"subheadings", json::array({"Budget split", "When to upgrade"})},
                       {"points", json::array({"forty percent rule", "espresso machines"})}},
                      {{"heading", "Care and Maintenance"},
                       {"subheadings", json::array({"Weekly cleaning", "Dial in espresso faster"})},
                       {"points", json::array({"brush and tablets", "grind size chart"})}}})},
                {"faq", json::array({"Which grinder should a beginner buy?",
                                     "How much should I spend on a grinder?",
                                     "Do I need a burr grinder for espresso?"})},
                {"schema_type", "Article"}};
    }
    if (name == "write_faq") {
        json items = json::array();
        for (const auto& q :
             list_lines(between(user, "starting with the direct answer:\n", "\n\n") + "\n")) {
            items.push_back(
                {{"q", q},
                 {"a",
                  "Choose a burr grinder with stepless adjustment and low retention. It "
                  "gives you even grounds and room to dial in each new bag. Spend what you "
                  "can on the grinder first, then upgrade the machine later."}});
        }
        return {{"faq", items}};
    }
    if (name == "auto_fix") {
        std::string markdown =
            between(user, "The article in Markdown:\n\n", "\n\nReturn the whole");
        const std::string problems = between(user, "quality checks:\n", "\n\nCurrent meta");
        // An editor who reads the problems: template openings go, each FAQ answer gets its own.
        if (problems.find("Template openings") != std::string::npos ||
            problems.find("Doubled words") != std::string::npos) {
            markdown = without_template_openings(markdown);
        }
        if (problems.find("Distinct FAQ answers") != std::string::npos) {
            markdown = with_distinct_faq_answers(markdown);
        }
        // A careful editor: shorter meta text, the keyword early, a closing summary.
        // After the title and the first paragraph, which names the keyword.
        const auto first_break = markdown.find("\n\n", markdown.find("\n\n") + 2);
        if (first_break != std::string::npos) {
            markdown.insert(first_break + 2,
                            "Every recommendation here comes from side-by-side tests, not "
                            "from spec sheets.\n\n");
        }
        return {{"markdown", markdown},
                {"meta_title", title_case(keyword) + ": A Tested Buying Guide"},
                {"meta_description",
                 "Choose the " + keyword +
                     " with confidence: burr types, retention, noise and budget, explained "
                     "simply with tested advice."}};
    }
    return json::object();
}

/// Serper answering like Google would for the demo keyword: competitor reviews for the
/// keyword, studies and guides for the references query, spread over the demo's sites.
void install_demo_serper(FakeHttpServer& server, std::shared_ptr<FakeSerp> fake,
                         std::vector<std::string> hosts) {
    server.route("POST", "/search", [fake, hosts](const FakeRequest& r, FakeConnection& c) {
        if (r.header("x-api-key") != fake->api_key) {
            c.respond(403, R"({"message":"Unauthorized.","statusCode":403})");
            return;
        }
        const json query = json::parse(r.body, nullptr, false);
        const std::string q = query.is_object() ? query.value("q", "") : "";
        const bool research = q.find("research") != std::string::npos;
        static const std::vector<std::string> review_titles = {
            "The 7 Best Espresso Grinders of 2026, Tested",
            "Espresso Grinder Buying Guide: What Actually Matters",
            "Flat vs Conical Burrs: We Measured the Difference",
            "Best Budget Espresso Grinders Under $300",
            "How We Test Coffee Grinders",
        };
        static const std::vector<std::string> research_titles = {
            "Particle Size Distribution in Espresso Grinding: A Lab Study",
            "Grinder Retention Measured Across 12 Popular Models",
            "How Burr Temperature Changes Extraction",
            "Noise Levels of Home Coffee Grinders, in Decibels",
            "Espresso Extraction Yield and Grind Size: The Data",
        };
        static const std::vector<std::string> research_snippets = {
            "Uneven particle sizes extract unevenly: fines over-extract and boulders stay sour.",
            "Retention under half a gram keeps single dosing fresh and repeatable.",
            "Burrs that heat up during long grinding runs shift extraction and flavour.",
            "Measured noise ranged from 62 to 84 decibels at one metre across home grinders.",
            "Finer grind settings raise extraction yield until channeling sets in.",
        };
        json organic = json::array();
        for (std::size_t i = 0; i < 5; ++i) {
            const std::string& host = hosts[(i + (research ? 1 : 0)) % hosts.size()];
            organic.push_back({{"title", research ? research_titles[i] : review_titles[i]},
                               {"link", "http://" + host + "/article/" + std::to_string(i + 1)},
                               {"snippet", research ? research_snippets[i]
                                                    : "Our picks for the " + q +
                                                          ", with burr types, "
                                                          "retention and noise compared."},
                               {"position", i + 1}});
        }
        json answer = {
            {"searchParameters", {{"q", q}, {"type", "search"}, {"engine", "google"}}},
            {"organic", organic},
            {"peopleAlsoAsk",
             json::array({{{"question", "Is a burr grinder worth it for espresso?"},
                           {"snippet", "Yes: blade grinders cannot grind fine and evenly enough."},
                           {"title", "Burr grinders"},
                           {"link", "http://" + hosts[0] + "/faq"}},
                          {{"question", "How much should you spend on an espresso grinder?"},
                           {"snippet", "Plan about 40% of your espresso budget."},
                           {"title", "Budget"},
                           {"link", "http://" + hosts[1] + "/faq"}}})},
            {"relatedSearches", json::array({{{"query", q + " for beginners"}},
                                             {{"query", "flat vs conical burr grinder"}},
                                             {{"query", "cheap " + q}}})},
            {"credits", 1}};
        c.respond(200, answer.dump());
    });
}

}  // namespace

std::string demo_reply(const json& body) {
    // The prompt is the first user message; later ones are corrections after a bad answer.
    std::string user;
    for (const auto& m : body.value("messages", json::array())) {
        if (m.value("role", "") == "user") {
            user = m.value("content", "");
            break;
        }
    }
    if (body.contains("response_format")) {
        const std::string name =
            body["response_format"].value("json_schema", json::object()).value("name", "");
        return structured_answer(name, user).dump();
    }
    if (user.find("Write the introduction") != std::string::npos) {
        const std::string keyword = between(user, "about \"", "\"");
        return "Choosing the " + keyword +
               " for your kitchen is the single biggest upgrade for your coffee at home. The "
               "grinder decides how "
               "evenly your beans break apart, and that decides how your espresso tastes.\n\n"
               "This guide explains burr types, retention, noise and budget in plain words. You "
               "will learn what to look for, what to skip, and how to dial in espresso once the "
               "grinder is on your counter.";
    }
    if (user.find("Write the section") != std::string::npos) {
        const std::string keyword = between(user, "(keyword: \"", "\")");
        const std::string heading = between(user, "Write the section \"", "\"");
        std::vector<std::string> subs;
        for (const auto& s : list_lines(between(user, "as \"###\" headings:\n", "\n\n") + "\n")) {
            subs.push_back(s);
        }
        return section_text(keyword, heading, subs);
    }
    return "A plain answer.";
}

std::map<std::string, int> prompts_seen(const FakeHttpServer& llm) {
    std::map<std::string, int> seen;
    for (const auto& r : llm.requests()) {
        const json body = json::parse(r.body, nullptr, false);
        if (body.is_discarded()) {
            continue;
        }
        std::string name = "other";
        if (body.contains("response_format")) {
            name = body["response_format"]["json_schema"].value("name", "?");
        } else if (r.body.find("Write the section") != std::string::npos) {
            name = "write_section";
        } else if (r.body.find("Write the introduction") != std::string::npos) {
            name = "write_intro";
        }
        ++seen[name];
    }
    return seen;
}

DemoWorld::DemoWorld()
    : llm(std::make_shared<FakeLlm>()),
      serp(std::make_shared<FakeSerp>()),
      section_delay_ms(std::make_shared<std::atomic<int>>(0)),
      hosts({"home-barista.example", "coffee-lab.example", "espresso-science.example",
             "roast-review.example", "grind-guide.example", "brew-journal.example"}) {
    llm->api_key = "sk-demo-0000";
    auto delay = section_delay_ms;
    llm->responder = [delay](const json& body) {
        std::string reply = demo_reply(body);
        const std::string text = body.dump();
        if (text.find("Write the section") != std::string::npos && delay->load() > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(delay->load()));
        }
        return reply;
    };
    install_openai(llm_server, llm);
    for (const auto& h : hosts) {
        serp->sites.push_back("http://" + h);
    }
    install_demo_serper(serp_server, serp, hosts);
    install_site(site_server);
}

std::vector<std::string> DemoWorld::sota_args() const {
    std::string connect_to;
    for (const auto& h : hosts) {
        connect_to += (connect_to.empty() ? "" : ",") + h +
                      ":80:127.0.0.1:" + std::to_string(site_server.port());
    }
    return {"--set", "llm.provider=openai",
            "--set", "llm.model=gpt-4o-mini",
            "--set", "providers.openai.base_url=" + llm_server.base_url() + "/v1",
            "--set", "providers.serper.base_url=" + serp_server.base_url(),
            "--set", "http.connect_to=" + connect_to,
            "--set", "web.allow_private=true",
            "--key", "openai=" + llm->api_key,
            "--key", "serper=" + serp->api_key};
}

}  // namespace sota::test
