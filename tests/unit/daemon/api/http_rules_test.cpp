#include "daemon/api/http_rules.hpp"

#include <gtest/gtest.h>

namespace ticketd::daemon::api {
namespace {

request_head head_with(std::string_view te, int te_fields = 1, bool content_length = false) {
  request_head h;
  h.host_fields = 1;
  h.transfer_encoding = te;
  h.transfer_encoding_fields = te_fields;
  h.has_content_length = content_length;
  return h;
}

TEST(FramingError, AcceptsContentLengthOrChunkedAlone) {
  request_head plain;
  plain.host_fields = 1;
  plain.has_content_length = true;
  EXPECT_FALSE(framing_error(plain));
  EXPECT_FALSE(framing_error(head_with("chunked")));
  EXPECT_FALSE(framing_error(head_with(" Chunked ")));
}

TEST(FramingError, RefusesEveryOtherTransferCoding) {
  for (const auto* te : {"gzip", "gzip, chunked", "chunked, gzip", "identity", ""}) {
    EXPECT_TRUE(framing_error(head_with(te))) << te;
  }
  EXPECT_TRUE(framing_error(head_with("chunked", 2)));
  EXPECT_TRUE(framing_error(head_with("chunked", 1, true)));
}

TEST(FramingError, NeedsOneHostInHttp11) {
  request_head h;
  EXPECT_TRUE(framing_error(h));
  h.host_fields = 2;
  EXPECT_TRUE(framing_error(h));
  h.host_fields = 0;
  h.version = 10;
  EXPECT_FALSE(framing_error(h));
}

TEST(OriginForm, ServesAbsoluteFormAsItsPath) {
  EXPECT_EQ(origin_form("/v1/queues?limit=5"), "/v1/queues?limit=5");
  EXPECT_EQ(origin_form("http://desk:8080/v1/queues?limit=5"), "/v1/queues?limit=5");
  EXPECT_EQ(origin_form("HTTPS://desk/healthz"), "/healthz");
  EXPECT_EQ(origin_form("http://desk"), "/");
  EXPECT_EQ(origin_form("http://desk?x=1"), "/");
  EXPECT_EQ(origin_form("ftp://desk/x"), "ftp://desk/x");
  EXPECT_EQ(origin_form("*"), "*");
}

TEST(ExpectationOf, KnowsOnly100Continue) {
  EXPECT_EQ(expectation_of(""), expectation::none);
  EXPECT_EQ(expectation_of("100-continue"), expectation::continue_100);
  EXPECT_EQ(expectation_of(" 100-Continue "), expectation::continue_100);
  EXPECT_EQ(expectation_of("teapot"), expectation::unsupported);
}

}  // namespace
}  // namespace ticketd::daemon::api
