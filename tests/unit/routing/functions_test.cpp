// The FCALL builders against the KEYS/ARGV contracts at the top of each routing/lua/*.lua file.
#include "routing/functions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/routing/test_support.hpp"

namespace ticketd::routing {
namespace {

using strings = std::vector<std::string>;
using test::argv_of;
using test::lua_argv;
using test::t0;

class FunctionCall : public ::testing::Test {
 protected:
  FunctionCall() {
    settings_.epoch = "e1";
    settings_.fields = {{"counted", "offered,assigned,pending"}, {"max", "4"}};
  }

  call_base base() const { return {keys_, settings_, t0}; }

  // Checks `FCALL[_RO] <fn> 1 <prefix> <now> <epoch> <idempotency key> <fingerprint>` and
  // returns ARGV[5...].
  strings arguments(const command& cmd, const lua::function_info& fn) const {
    const strings argv = argv_of(cmd);
    const strings head{std::string{fn.read_only ? "FCALL_RO" : "FCALL"},
                       std::string{fn.name},
                       "1",
                       "ticketd:{acme}:",
                       std::to_string(t0),
                       "e1",
                       "",
                       ""};
    if (argv.size() < head.size()) {
      ADD_FAILURE() << fn.name << " has only " << argv.size() << " words";
      return {};
    }
    EXPECT_EQ(strings(argv.begin(), argv.begin() + static_cast<std::ptrdiff_t>(head.size())), head)
        << fn.name;
    EXPECT_EQ(lua_argv(argv, 1), std::to_string(t0)) << "ARGV[1] is now_ms";
    EXPECT_EQ(lua_argv(argv, 2), "e1") << "ARGV[2] is the configuration epoch";
    EXPECT_EQ(lua_argv(argv, 3), "") << "ARGV[3] is the Idempotency-Key, none here";
    return strings(argv.begin() + static_cast<std::ptrdiff_t>(head.size()), argv.end());
  }

  keyspace keys_{"acme"};
  call_settings settings_;
};

TEST_F(FunctionCall, BeginCallWritesTheCommonHeader) {
  EXPECT_EQ(argv_of(begin_call(lua::fn::tick, base())),
            (strings{"FCALL", "ticketd_v1_tick", "1", "ticketd:{acme}:", std::to_string(t0), "e1",
                     "", ""}));
  EXPECT_TRUE(arguments(begin_call(lua::fn::tick, base()), lua::fn::tick).empty());
}

TEST_F(FunctionCall, BeginCallCarriesTheIdempotencyKeyAndFingerprint) {
  call_base b = base();
  b.idem = {"retry-7", "POST /v1/agents/ada/next 0011223344556677"};
  const strings argv = argv_of(next_call(b, "ada"));
  EXPECT_EQ(lua_argv(argv, 3), "retry-7");
  EXPECT_EQ(lua_argv(argv, 4), "POST /v1/agents/ada/next 0011223344556677");
  EXPECT_EQ(lua_argv(argv, 5), "ada");
}

TEST_F(FunctionCall, ReadOnlyFunctionsUseFcallRo) {
  for (const auto* fn : {&lua::fn::agent_get, &lua::fn::agent_list, &lua::fn::queue_stats,
                         &lua::fn::queue_head, &lua::fn::verify, &lua::fn::explain}) {
    EXPECT_EQ(argv_of(begin_call(*fn, base())).at(0), "FCALL_RO") << fn->name;
  }
  EXPECT_EQ(argv_of(begin_call(lua::fn::create, base())).at(0), "FCALL");
}

TEST_F(FunctionCall, ConfigureSendsTheSettingsAsPairs) {
  EXPECT_EQ(arguments(configure_call(base()), lua::fn::configure),
            (strings{"counted", "offered,assigned,pending", "max", "4"}));
}

TEST_F(FunctionCall, CreatePutsArgumentsInArgv5To20) {
  create_args a;
  a.id = "T-1";
  a.fingerprint = "fp1";
  a.queue = "billing";
  a.priority = "urgent";
  a.channel = "";
  a.skills = "spanish,vip";
  a.attributes = R"({"brand":"acme"})";
  a.created_at = t0 - 1;
  a.first_reply_due = t0 + 1;
  a.resolution_due = t0 + 2;
  a.rank = t0 + 3;
  a.sla_timer = t0 + 4;
  a.requirements = "spanish:3:600000";
  a.customer = "cust-1";
  a.preference = "60000|ada";
  a.request = R"({"id":"T-1"})";
  const command cmd = create_call(base(), a);
  const strings argv = argv_of(cmd);
  EXPECT_EQ(lua_argv(argv, 5), "T-1");
  EXPECT_EQ(lua_argv(argv, 7), "billing");
  EXPECT_EQ(lua_argv(argv, 12), std::to_string(t0 - 1));
  EXPECT_EQ(lua_argv(argv, 15), std::to_string(t0 + 3));
  EXPECT_EQ(lua_argv(argv, 16), std::to_string(t0 + 4));
  EXPECT_EQ(lua_argv(argv, 17), "spanish:3:600000");
  EXPECT_EQ(lua_argv(argv, 18), "cust-1");
  EXPECT_EQ(lua_argv(argv, 19), "60000|ada");
  EXPECT_EQ(lua_argv(argv, 20), R"({"id":"T-1"})");
  EXPECT_EQ(test::lua_argc(argv), 20u);
  const strings args = arguments(cmd, lua::fn::create);
  EXPECT_EQ(args, (strings{"T-1", "fp1", "billing", "urgent", "", "spanish,vip",
                           R"({"brand":"acme"})", std::to_string(t0 - 1), std::to_string(t0 + 1),
                           std::to_string(t0 + 2), std::to_string(t0 + 3), std::to_string(t0 + 4),
                           "spanish:3:600000", "cust-1", "60000|ada", R"({"id":"T-1"})"}));
}

TEST_F(FunctionCall, TicketActionsStartWithIdIfMatchAndExpectedVersion) {
  const ticket_ref both{"T-1", 3, 4};
  const ticket_ref none{"T-2", std::nullopt, std::nullopt};
  EXPECT_EQ(arguments(close_call(base(), both), lua::fn::close), (strings{"T-1", "3", "4"}));
  EXPECT_EQ(arguments(close_call(base(), none), lua::fn::close), (strings{"T-2", "", ""}));
  const ticket_ref expect_only{"T-3", std::nullopt, 9};
  EXPECT_EQ(arguments(close_call(base(), expect_only), lua::fn::close), (strings{"T-3", "", "9"}));
}

struct contract {
  std::size_t last_argv = 4;  // the header only
  bool variadic = false;
};

// The ARGV numbers of the leading comment block of routing/lua/functions/<name>.lua.
contract contract_of(const lua::function_info& fn) {
  const std::string prefix = "ticketd_v" + std::to_string(lua::version) + "_";
  const std::string file =
      "routing/lua/functions/" + std::string{fn.name.substr(prefix.size())} + ".lua";
  std::istringstream text(test::read_source_file(file));
  contract out;
  const std::regex index_re(R"(\[(\d+)(\.\.\.)?\])");
  for (std::string line; std::getline(text, line) && line.starts_with("--");) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), index_re);
         it != std::sregex_iterator(); ++it) {
      out.last_argv = std::max<std::size_t>(out.last_argv, std::stoul((*it)[1].str()));
      if ((*it)[2].matched) out.variadic = true;
    }
  }
  return out;
}

struct builder_case {
  std::string name;
  command cmd;
  const lua::function_info& fn;
  strings args;  // ARGV[5...]
};

TEST_F(FunctionCall, EveryBuilderFollowsItsLuaContract) {
  const ticket_ref t{"T-1", 2, 3};
  const strings tref{"T-1", "2", "3"};
  auto with_ref = [&](strings rest) {
    strings out = tref;
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
  };
  escalate_args esc;
  esc.queue = "tier2";
  esc.priority = "urgent";
  esc.rank = 100;
  esc.first_reply_due = 200;
  esc.resolution_due = 400;
  esc.reason = "angry";
  escalate_args esc_same;
  esc_same.queue = "tier2";
  esc_same.rank = 100;
  agent_put_args put;
  put.id = "ada";
  put.name = "Ada L";
  put.queues = "billing";
  put.skills = "spanish";
  put.effective_queues = "billing,spanish";
  put.max_concurrent = 3;
  put.status = "online";
  agent_put_args put_defaults;
  put_defaults.id = "bob";
  const return_args ret{std::optional<std::int64_t>{450}, std::optional<std::int64_t>{500},
                        std::optional<std::int64_t>{550}, 600, 700};
  const return_args ret_no_due{std::nullopt, std::nullopt, std::nullopt, 600, 700};
  cadence plan;
  plan.followups = {10, 20, 30};
  plan.resolve_at = 40;
  plan.reopen_until = 50;
  plan.close_at = 60;
  cadence followups_only;
  followups_only.followups = {10};

  const builder_case cases[] = {
      {"next", next_call(base(), "ada"), lua::fn::next, {"ada"}},
      {"accept", accept_call(base(), t, "ada", "tok"), lua::fn::accept, with_ref({"ada", "tok"})},
      {"reject", reject_call(base(), t, "ada", "busy", "tok"), lua::fn::reject,
       with_ref({"ada", "busy", "tok"})},
      {"reply", reply_call(base(), t, "ada", format_cadence(plan)), lua::fn::reply,
       with_ref({"ada", "10,20,30;40;50;60"})},
      {"reply, follow-ups only", reply_call(base(), t, "ada", format_cadence(followups_only)),
       lua::fn::reply, with_ref({"ada", "10;;;"})},
      {"reply, no cadence", reply_call(base(), t, "ada", format_cadence({})), lua::fn::reply,
       with_ref({"ada", ""})},
      {"customer_reply", customer_reply_call(base(), t, ret), lua::fn::customer_reply,
       with_ref({"450", "500", "550", "600", "700"})},
      {"customer_reply without due", customer_reply_call(base(), t, ret_no_due),
       lua::fn::customer_reply, with_ref({"", "", "", "600", "700"})},
      {"postpone", postpone_call(base(), t, 800, 900, {850, std::nullopt}), lua::fn::postpone,
       with_ref({"800", "900", "850", ""})},
      {"release", release_call(base(), t, "ada", 1000), lua::fn::release,
       with_ref({"ada", "1000"})},
      {"resolve", resolve_call(base(), t, "agent", 1100, 1200), lua::fn::resolve,
       with_ref({"agent", "1100", "1200"})},
      {"reopen", reopen_call(base(), t, ret), lua::fn::reopen,
       with_ref({"450", "500", "550", "600", "700"})},
      {"close", close_call(base(), t), lua::fn::close, tref},
      {"transfer", transfer_call(base(), t, "general", 1300), lua::fn::transfer,
       with_ref({"general", "1300"})},
      {"escalate", escalate_call(base(), t, esc), lua::fn::escalate,
       with_ref({"tier2", "urgent", "100", "200", "", "400", "angry"})},
      {"escalate unchanged", escalate_call(base(), t, esc_same), lua::fn::escalate,
       with_ref({"tier2", "", "100", "", "", "", ""})},
      {"reassign", reassign_call(base(), t, "bob", force_mode::respect_capacity, {}),
       lua::fn::reassign, with_ref({"bob", "", "", ""})},
      {"reassign forced", reassign_call(base(), t, "bob", force_mode::force, {}), lua::fn::reassign,
       with_ref({"bob", "1", "", ""})},
      {"reassign resuming",
       reassign_call(base(), t, "bob", force_mode::respect_capacity, {100, std::nullopt}),
       lua::fn::reassign, with_ref({"bob", "", "100", ""})},
      {"delete", delete_call(base(), "T-1"), lua::fn::delete_ticket, {"T-1"}},
      {"agent_put",
       agent_put_call(base(), put),
       lua::fn::agent_put,
       {"ada", "Ada L", "billing", "spanish", "billing,spanish", "3", "online", "", ""}},
      {"agent_put defaults",
       agent_put_call(base(), put_defaults),
       lua::fn::agent_put,
       {"bob", "", "", "", "", "", "", "", ""}},
      {"agent_status",
       agent_status_call(base(), "ada", agent_status::away),
       lua::fn::agent_status,
       {"ada", "away", "", ""}},
      {"agent connected",
       agent_presence_call(base(), "ada", 1, agent_status::online),
       lua::fn::agent_status,
       {"ada", "online", "1", ""}},
      {"agent disconnected, presence by API",
       agent_presence_call(base(), "ada", -1, std::nullopt),
       lua::fn::agent_status,
       {"ada", "", "-1", ""}},
      {"agent_get", agent_get_call(base(), "ada"), lua::fn::agent_get, {"ada"}},
      {"explain", explain_call(base(), "T-1", 50), lua::fn::explain, {"T-1", "50"}},
      {"agent_list",
       agent_list_call(base(), {"bob", 50, "billing", "online", "spanish"}),
       lua::fn::agent_list,
       {"bob", "50", "billing", "online", "spanish"}},
      {"agent_list, no filter",
       agent_list_call(base(), {}),
       lua::fn::agent_list,
       {"", "100", "", "", ""}},
      {"queue_stats",
       queue_stats_call(base(), {"billing", "general"}),
       lua::fn::queue_stats,
       {"billing", "general"}},
      {"queue_head",
       queue_head_call(base(), "billing", 20),
       lua::fn::queue_head,
       {"billing", "20"}},
      {"tick", tick_call(base(), 100), lua::fn::tick, {"100"}},
      {"verify", verify_call(base(), {"billing"}), lua::fn::verify, {"billing"}},
      {"configure",
       configure_call(base()),
       lua::fn::configure,
       {"counted", "offered,assigned,pending", "max", "4"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(arguments(c.cmd, c.fn), c.args) << c.name;
    // The contract numbers the last argument: `[N] ...` in the file's header comment, or
    // `[5...]` for a variable list.
    const auto contract = contract_of(c.fn);
    if (contract.variadic) {
      EXPECT_GE(test::lua_argc(argv_of(c.cmd)), 2u) << c.name;
    } else {
      EXPECT_EQ(test::lua_argc(argv_of(c.cmd)), contract.last_argv) << c.name;
    }
  }
}

TEST_F(FunctionCall, TicketGetIsAnHgetallOfTheTicketKey) {
  EXPECT_EQ(argv_of(ticket_get_command(keys_, "T-1")),
            (strings{"HGETALL", "ticketd:{acme}:t:T-1"}));
}

}  // namespace
}  // namespace ticketd::routing
