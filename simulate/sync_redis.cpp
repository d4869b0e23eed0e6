#include "simulate/sync_redis.hpp"

#include <hiredis/hiredis.h>

#include <stdexcept>

namespace ticketd::simulate {
namespace {

routing::resp_value convert(const redisReply* r) {
  routing::resp_value v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.type = routing::resp_value::kind::string;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = routing::resp_value::kind::status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = routing::resp_value::kind::error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = routing::resp_value::kind::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = routing::resp_value::kind::array;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

}  // namespace

sync_redis::sync_redis(const std::filesystem::path& socket) {
  ctx_ = redisConnectUnix(socket.c_str());
  if (ctx_ == nullptr || ctx_->err != 0) {
    const std::string why = ctx_ != nullptr ? ctx_->errstr : "out of memory";
    if (ctx_ != nullptr) redisFree(ctx_);
    throw std::runtime_error("cannot connect to Redis at " + socket.string() + ": " + why);
  }
}

sync_redis::~sync_redis() { redisFree(ctx_); }

routing::resp_value sync_redis::command(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data()));
  if (reply == nullptr)
    throw std::runtime_error(std::string("Redis command failed: ") + ctx_->errstr);
  auto v = convert(reply);
  freeReplyObject(reply);
  return v;
}

routing::resp_value sync_redis::run(const routing::command& cmd) {
  return std::move(run_all({&cmd, 1}).front());
}

std::vector<routing::resp_value> sync_redis::run_all(std::span<const routing::command> cmds) {
  for (const auto& cmd : cmds) {
    const std::string bytes = cmd.encoded();
    if (redisAppendFormattedCommand(ctx_, bytes.data(), bytes.size()) != REDIS_OK) {
      throw std::runtime_error(std::string("Redis append failed: ") + ctx_->errstr);
    }
  }
  std::vector<routing::resp_value> out;
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) {
      throw std::runtime_error(std::string("Redis reply failed: ") + ctx_->errstr);
    }
    out.push_back(convert(static_cast<redisReply*>(reply)));
    freeReplyObject(reply);
  }
  return out;
}

}  // namespace ticketd::simulate
