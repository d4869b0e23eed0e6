// Every action from every status through the Redis functions, compared with the C++ transition
// table (routing/transitions.cpp): the two must agree exactly.
#include "tests/integration/engine_fixture.hpp"

#include "routing/transitions.hpp"

namespace ticketd::testing {
namespace {

using routing::ticket_action;
using routing::ticket_status;

class TransitionTable : public EngineTest {
 protected:
  // A fresh ticket in `status`, held by ada where the status is held.
  std::string ticket_in(ticket_status status) {
    const std::string id = "T-" + std::to_string(++counter_);
    created(id);
    if (status == ticket_status::queued) return id;
    if (status == ticket_status::closed) {
      EXPECT_TRUE(act(ticket_action::close, id).has_value());
      return id;
    }
    routing::action_request to_ada;
    to_ada.agent = "ada";
    EXPECT_TRUE(act(ticket_action::reassign, id, to_ada).has_value());
    switch (status) {
      case ticket_status::offered:
        // Offers come from push routing; an assigned ticket relabelled offered is the same
        // state for capacity (both counted) and holding.
        redis({"HSET", key(routing::key_part::ticket, id), "s", "offered"});
        break;
      case ticket_status::pending:
        EXPECT_TRUE(act(ticket_action::reply, id).has_value());
        break;
      case ticket_status::postponed: {
        routing::action_request r;
        r.until = now() + hour;
        EXPECT_TRUE(act(ticket_action::postpone, id, r).has_value());
        break;
      }
      case ticket_status::resolved:
        EXPECT_TRUE(act(ticket_action::resolve, id).has_value());
        break;
      default:
        break;
    }
    return id;
  }

  static routing::action_request valid_request(ticket_action a) {
    routing::action_request r;
    switch (a) {
      case ticket_action::accept:
      case ticket_action::reject:
      case ticket_action::reply:
      case ticket_action::release:
        r.agent = "ada";
        break;
      case ticket_action::reassign:
        r.agent = "bob";
        break;
      case ticket_action::transfer:
        r.queue = "billing";
        break;
      case ticket_action::escalate:
        r.queue = "supervisors";
        break;
      default:
        break;
    }
    r.until = 0;
    return r;
  }

  int counter_ = 0;
};

TEST_F(TransitionTable, FunctionsAllowExactlyWhatTheTableAllows) {
  ASSERT_OK(put_agent("ada", {"general"}, 100));
  ASSERT_OK(put_agent("bob", {"general"}, 100));
  for (auto status : routing::all_ticket_statuses) {
    for (auto action : routing::all_ticket_actions) {
      const std::string id = ticket_in(status);
      auto request = valid_request(action);
      if (action == ticket_action::postpone) request.until = now() + 2 * hour;
      auto r = act(action, id, request);
      const std::string what = std::string{routing::to_string(action)} + " from " +
                               std::string{routing::to_string(status)};
      if (routing::allows(action, status)) {
        EXPECT_TRUE(r.has_value()) << what << ": " << routing::code_name(r.error().code);
        if (r) {
          const auto results = routing::outcomes(action, status);
          EXPECT_NE(std::find(results.begin(), results.end(), r->status), results.end())
              << what << " led to " << routing::to_string(r->status);
        }
      } else if (action == ticket_action::customer_reply && status == ticket_status::closed) {
        ASSERT_FALSE(r.has_value()) << what;
        EXPECT_EQ(r.error().code, routing::errc::conflict) << what;
      } else {
        ASSERT_FALSE(r.has_value()) << what;
        EXPECT_EQ(r.error().code, routing::errc::invalid_transition) << what;
        EXPECT_EQ(r.error().detail("status"), routing::to_string(status)) << what;
      }
    }
  }
  auto report = verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->violations.empty()) << report->violations.front();
}

}  // namespace
}  // namespace ticketd::testing
