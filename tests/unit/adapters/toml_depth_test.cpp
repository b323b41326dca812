#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "adapters/toml_depth.hpp"
#include "adapters/workflow_file.hpp"
#include "core/json_limits.hpp"
#include "core/text.hpp"
#include "tests/support/temp_home.hpp"

using sota::adapters::toml_depth;

TEST_CASE("toml_depth bounds tables, dotted keys and arrays", "[toml]") {
    CHECK(toml_depth("a = 1\n", 200) == 1);
    CHECK(toml_depth("[a.b]\nx = 1\n", 200) == 3);
    CHECK(toml_depth("a.b.c = [[1, 2.5], [3]]\n", 200) == 5);
    CHECK(toml_depth("a = \"x.y.z[[[\" # b.c.d [[[\n", 200) == 1);
    CHECK(toml_depth("a = '''\n[[[...\n'''\nb = 1\n", 200) == 1);
    CHECK(toml_depth("weights = [0.1, 0.2, 0.3, 0.4]\n", 200) == 2);
    std::string key = "k";
    for (int i = 0; i < 100'000; ++i) {
        key += ".k";
    }
    CHECK(toml_depth(key + " = 1\n", 200) > 200);
}

TEST_CASE("a workflow file nested past the limit is refused, not parsed", "[toml][workflow]") {
    sota::test::TempHome home;
    const auto file = home.path() / "deep.toml";
    std::string key = "k";
    for (int i = 0; i < 100'000; ++i) {
        key += ".k";
    }
    std::ofstream(file) << "name = \"deep\"\n" << key << " = 1\n";
    const auto loaded = sota::adapters::load_workflow_file(file);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == "workflow.too_deep");
    CHECK(loaded.error().message.find(std::to_string(sota::core::k_max_json_depth)) !=
          std::string::npos);

    const auto device = sota::adapters::load_workflow_file("/dev/zero");
    REQUIRE_FALSE(device);
    CHECK(device.error().code == "workflow.not_a_file");
}
