#include "storage/retention.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/statement.hpp"
#include "storage/writer.hpp"

namespace weir::storage {

Retention::Retention(std::vector<RetentionRule> rules, const Clock& clock, std::size_t batch_rows)
    : rules_(std::move(rules)), clock_(clock), batch_rows_(batch_rows ? batch_rows : 1) {}

Result<Retention::Cutoff> Retention::cutoff(Database& db, const RetentionRule& rule) const {
  Cutoff c;
  if (rule.max_age.count() > 0) c.before_ms = to_unix_ms(clock_.now() - rule.max_age);
  if (rule.max_rows > 0) {
    // The newest row past the limit: it and everything older go.
    auto s =
        db.prepare("SELECT rowid FROM " + rule.table + " ORDER BY rowid DESC LIMIT 1 OFFSET ?");
    if (!s) return s.error();
    s->bind(1, static_cast<std::int64_t>(rule.max_rows));
    auto row = s->step();
    if (!row) return row.error();
    if (*row) c.up_to_id = s->int64(0);
  }
  return c;
}

Result<bool> Retention::step(Database& db) {
  if (pass_.empty()) {
    for (const auto& rule : rules_) {
      auto c = cutoff(db, rule);
      if (!c) return c.error();
      pass_.push_back(*c);
    }
  }
  // One DELETE of at most batch_rows rows; the part is done when it deleted fewer.
  auto remove = [&](std::optional<std::int64_t>& bound, const std::string& sql) -> Result<bool> {
    if (!bound) return false;
    auto s = db.prepare(sql);
    if (!s) return s.error();
    if (auto st = s->bind_all(*bound, static_cast<std::int64_t>(batch_rows_)).run(); !st)
      return st.error();
    const auto n = static_cast<std::uint64_t>(db.changes());
    deleted_ += n;
    if (n < batch_rows_) bound.reset();
    return bound.has_value();
  };
  bool more = false;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& t = rules_[i].table;
    auto by_age =
        remove(pass_[i].before_ms, "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t +
                                       " WHERE " + rules_[i].time_column + " < ?1 LIMIT ?2)");
    if (!by_age) {
      pass_.clear();
      return by_age.error();
    }
    auto by_count =
        remove(pass_[i].up_to_id, "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t +
                                      " WHERE rowid <= ?1 ORDER BY rowid LIMIT ?2)");
    if (!by_count) {
      pass_.clear();
      return by_count.error();
    }
    more = more || *by_age || *by_count;
  }
  if (!more) pass_.clear();
  return more;
}

Result<std::uint64_t> Retention::run(Database& db) {
  const auto before = deleted_.load();
  for (;;) {
    auto more = step(db);
    if (!more) return more.error();
    if (!*more) return deleted_.load() - before;
  }
}

std::shared_ptr<Retention> Retention::schedule(Writer& writer, std::vector<RetentionRule> rules,
                                               const Clock& clock, RetentionOptions options) {
  auto r = std::make_shared<Retention>(std::move(rules), clock, options.batch_rows);
  if (options.interval.count() <= 0) return r;           // never applied on its own
  auto pass_start = std::make_shared<std::uint64_t>(0);  // deleted() when the pass began
  writer.every(std::min(options.first_pass, options.interval), options.interval,
               [r, pass_start, name = writer.name()](Database& db) {
                 if (r->pass_.empty()) *pass_start = r->deleted();
                 auto more = r->step(db);
                 if (!more) {
                   spdlog::warn("{}: retention: {}", name, more.error().message);
                   return false;
                 }
                 if (!*more && r->deleted() > *pass_start)
                   spdlog::info("{}: retention deleted {} old rows", name,
                                r->deleted() - *pass_start);
                 return *more;
               });
  return r;
}

}  // namespace weir::storage
