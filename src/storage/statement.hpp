#pragma once
// Prepared statements and transactions on a storage::Database.
//
//   auto ins = db.prepare("INSERT INTO t(name, time_ms) VALUES (?, ?)");
//   if (!ins) return ins.error();
//   if (auto st = ins->bind_all(name, to_unix_ms(t)).run(); !st) return st;
//
//   auto q = db.prepare("SELECT id, name FROM t WHERE time_ms >= :from");
//   q->bind(":from", from_ms);
//   return q->collect([](const Statement& s) { return Item{s.int64(0), s.text(1)}; });
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "storage/database.hpp"

struct sqlite3_stmt;

namespace weir::storage {

// A prepared statement on loan from its Database's cache: reset, with its bindings cleared, and
// returned to the cache when this handle goes away. Must not outlive the Database.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1 (or named: ":from"). Text and blobs are copied by SQLite.
  Statement& bind(int i, std::int64_t v);
  template <std::integral I>
  Statement& bind(int i, I v) {
    return bind(i, static_cast<std::int64_t>(v));  // bool: 0 / 1
  }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, std::span<const std::uint8_t> blob);
  Statement& bind(int i, const std::vector<std::uint8_t>& blob) {
    return bind(i, std::span<const std::uint8_t>(blob));
  }
  Statement& bind(int i, std::nullptr_t);
  template <class V>
  Statement& bind(const char* name, const V& v) {
    return bind(parameter_index(name), v);
  }
  // Binds the arguments to parameters 1, 2, ...
  template <class... V>
  Statement& bind_all(const V&... v) {
    int i = 0;
    (bind(++i, v), ...);
    return *this;
  }

  // True: a row is ready to be read with the column getters. False: done.
  Result<bool> step();
  // Steps through every result row, calling row(*this) for each; stops at the first error.
  template <class OnRow>
  Status each(OnRow&& row) {
    for (;;) {
      auto more = step();
      if (!more) return more.error();
      if (!*more) return {};
      row(static_cast<const Statement&>(*this));
    }
  }
  // The result rows made into values by make(*this), in order.
  template <class Make, class T = std::invoke_result_t<Make&, const Statement&>>
  Result<std::vector<T>> collect(Make&& make) {
    std::vector<T> out;
    if (auto st = each([&](const Statement& s) { out.push_back(make(s)); }); !st) return st.error();
    return out;
  }
  // Steps to the end (INSERT / UPDATE / DELETE), then resets for the next use (bindings kept).
  Status run();
  void reset();  // bindings kept
  void clear();  // reset and bindings cleared

  // Columns are numbered from 0.
  std::int64_t int64(int col) const;
  double real(int col) const;
  bool boolean(int col) const { return int64(col) != 0; }
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;
  bool is_null(int col) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* s, std::vector<sqlite3_stmt*>* home);
  int parameter_index(const char* name) const;
  void release();

  Database* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  std::vector<sqlite3_stmt*>* home_ = nullptr;  // the cache list it goes back to
};

// BEGIN on construction (begin()), ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  enum class Mode {
    deferred,   // takes the write lock at the first write
    immediate,  // takes the write lock now (writers: no upgrade deadlock under a busy timeout)
  };
  static Result<Transaction> begin(Database& db, Mode mode = Mode::immediate);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();  // on failure the transaction is rolled back

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed or rolled back
};

}  // namespace weir::storage
