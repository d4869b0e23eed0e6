// workspaces_dir: one NAME.yaml per further workspace, with the routing keys only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"

namespace ticketd::config {
namespace {

namespace fs = std::filesystem;

env_lookup no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

// A main file in a fresh directory, with its workspace files in `workspaces.d/`.
class Workspaces : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::path(::testing::TempDir()) /
           ("ticketd-workspaces-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(dir_ / "workspaces.d");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const fs::path& relative, const std::string& text) {
    std::ofstream(dir_ / relative) << text;
  }
  load_result load_main(const std::string& text) {
    write("ticketd.yaml", text);
    return load_config_file(dir_ / "ticketd.yaml", no_env());
  }
  std::string errors_of(const load_result& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.to_string() + "\n";
    return out;
  }

  fs::path dir_;
};

TEST_F(Workspaces, EachFileIsAWorkspaceWithTheBuiltInDefaultsForWhatItLeavesOut) {
  write("workspaces.d/beta.yaml", "queues:\n  sales: {mode: push}\ndefaults: {queue: sales}\n");
  write("workspaces.d/alpha.yaml", "agents: {max_concurrent: 9}\n");
  write("workspaces.d/notes.txt", "not a workspace\n");
  const auto r = load_main(
      "workspace: main\nworkspaces_dir: workspaces.d\nagents: {max_concurrent: 2}\n"
      "queues:\n  general: {mode: pull}\n");
  ASSERT_TRUE(r.errors.empty()) << errors_of(r);
  const auto& c = *r.value;
  EXPECT_EQ(c.workspace, "main");
  ASSERT_EQ(c.workspaces.size(), 2u);
  // In name order; nothing inherited from the main file.
  const auto& alpha = *c.workspaces[0];
  EXPECT_EQ(alpha.workspace, "alpha");
  EXPECT_EQ(alpha.agents.max_concurrent, 9u);
  ASSERT_EQ(alpha.queues.size(), 1u);
  EXPECT_EQ(alpha.queues[0].name, "general");  // the built-in queue
  const auto& beta = *c.workspaces[1];
  EXPECT_EQ(beta.workspace, "beta");
  EXPECT_EQ(beta.agents.max_concurrent, 5u);  // the built-in default, not the main file's 2
  ASSERT_NE(beta.find_queue("sales"), nullptr);
  EXPECT_EQ(beta.find_queue("sales")->mode, queue_mode::push);
  EXPECT_EQ(beta.source, dir_ / "workspaces.d" / "beta.yaml");
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(Workspaces, ErrorsNameTheFileLineAndColumn) {
  write("workspaces.d/alpha.yaml", "queues:\n  general: {mode: sideways}\n");
  write("workspaces.d/beta.yaml", "agents: {max_concurrent: 2}\nserver: {threads: 4}\n");
  write("workspaces.d/Bad Name.yaml", "{}\n");
  write("workspaces.d/main.yaml", "{}\n");
  const auto r = load_main("workspace: main\nworkspaces_dir: workspaces.d\n");
  EXPECT_EQ(r.value, nullptr);
  const std::string text = errors_of(r);
  const std::string d = (dir_ / "workspaces.d").string();
  EXPECT_NE(text.find(d + "/alpha.yaml:2:19: queues.general.mode:"), std::string::npos) << text;
  EXPECT_NE(text.find(d + "/beta.yaml:2:1: server: belongs in the main file"), std::string::npos)
      << text;
  EXPECT_NE(text.find(d + "/Bad Name.yaml:0:0: the file's name is its workspace's"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(d + "/main.yaml:0:0: workspace 'main' is the main file's workspace"),
            std::string::npos)
      << text;
}

TEST_F(Workspaces, AMissingDirectoryIsAnErrorOfTheMainFile) {
  const auto r = load_main("workspaces_dir: /nonexistent/ticketd-workspaces\n");
  ASSERT_EQ(r.errors.size(), 1u) << errors_of(r);
  EXPECT_NE(r.errors[0].message.find("cannot read /nonexistent/ticketd-workspaces"),
            std::string::npos);
  EXPECT_EQ(r.errors[0].file, (dir_ / "ticketd.yaml").string());
}

TEST_F(Workspaces, ATokenMayBeBoundToAWorkspaceThatExists) {
  write("workspaces.d/beta.yaml", "{}\n");
  const std::string tokens =
      "auth:\n  tokens:\n"
      "    - {name: main-desk, role: backend, workspace: main, token_env: T1}\n"
      "    - {name: beta-desk, role: backend, workspace: beta, token_env: T2}\n"
      "    - {name: ops, role: admin, token_env: T3}\n";
  // Each token its own secret.
  auto env = [](const std::string& name) -> std::optional<std::string> {
    return "0123456789abcdef-" + name;
  };
  write("ticketd.yaml", "workspace: main\nworkspaces_dir: workspaces.d\n" + tokens);
  auto r = load_config_file(dir_ / "ticketd.yaml", env);
  ASSERT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_EQ(r.value->auth.tokens[0].workspace, "main");
  EXPECT_EQ(r.value->auth.tokens[1].workspace, "beta");
  EXPECT_EQ(r.value->auth.tokens[2].workspace, "");
  // A workspace nobody configured; an agent token that names none while workspaces exist.
  write("ticketd.yaml",
        "workspace: main\nworkspaces_dir: workspaces.d\nauth:\n  tokens:\n"
        "    - {name: gamma-desk, role: backend, workspace: gamma, token_env: T1}\n"
        "    - {name: ada, role: agent, agent: ada, token_env: T2}\n");
  r = load_config_file(dir_ / "ticketd.yaml", env);
  const std::string text = errors_of(r);
  EXPECT_NE(text.find("auth.tokens[1].workspace: is required for role agent"), std::string::npos)
      << text;
  // Without workspaces_dir, the one workspace is the only name.
  write("ticketd.yaml",
        "workspace: main\nauth:\n  tokens:\n"
        "    - {name: gamma-desk, role: backend, workspace: gamma, token_env: T1}\n");
  r = load_config_file(dir_ / "ticketd.yaml", env);
  EXPECT_NE(errors_of(r).find("no workspace named \"gamma\""), std::string::npos) << errors_of(r);
}

TEST_F(Workspaces, AnUnknownWorkspaceOfATokenIsAnError) {
  write("workspaces.d/beta.yaml", "{}\n");
  auto env = [](const std::string&) -> std::optional<std::string> {
    return std::string{"0123456789abcdef0123"};
  };
  write("ticketd.yaml",
        "workspace: main\nworkspaces_dir: workspaces.d\nauth:\n  tokens:\n"
        "    - {name: gamma-desk, role: backend, workspace: gamma, token_env: T1}\n");
  const auto r = load_config_file(dir_ / "ticketd.yaml", env);
  EXPECT_NE(errors_of(r).find("auth.tokens.gamma-desk.workspace: no workspace named 'gamma'"),
            std::string::npos)
      << errors_of(r);
}

TEST_F(Workspaces, WithoutTheKeyThereAreNone) {
  write("workspaces.d/alpha.yaml", "{}\n");
  const auto r = load_main("workspace: main\n");
  ASSERT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_TRUE(r.value->workspaces.empty());
}

}  // namespace
}  // namespace ticketd::config
