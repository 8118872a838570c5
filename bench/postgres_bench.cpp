// postgres_bench: picklejar::Session on a PostgreSQL store against the engine's limit (the
// same statements through libpq: bench/postgres_bench_raw.hpp), and a Django-style session
// save (one UPDATE of a whole pickled dict, no lock) with its lost updates counted, in one
// run, printed as one table. scripts/bench-postgres starts a private server for it.
//
//   postgres_bench [--keys=10000] [--single=1000] [--processes=4] [--increments=2000]
//                  [--repeat=3]
//
// The server is the one the PG* variables name, reached over TCP at 127.0.0.1:$PGPORT.
// Workloads, on session_bench's values (user-record dicts of 250-350 bytes pickled):
//   batch save     --keys new keys saved in one transaction (picklejar: set() each, save())
//   random gets    every key once in random order from a freshly opened store, decoded and
//                  digest-checked (picklejar: from the snapshot it loaded at open; raw: one
//                  lookup by key on the server each)
//   ... again      the same, a second time (picklejar now holds the decoded values)
//   open + load    connect and bring a --keys-key store into memory, undecoded
//   single saves   --single new keys, one transaction each, durable and fast
//   transact       1 and --processes processes each incrementing one counter --increments
//                  times (fast durability; the final count must be exact)
//   Django-style   --processes processes each doing --increments read-modify-writes of one
//                  pickled session dict: SELECT it, loads, count + 1, dumps, UPDATE it, no
//                  lock, synchronous_commit off (as fast); updates lost = expected - final
// Times are the best of --repeat runs; picklejar and raw take turns, one round of every
// workload each (who goes first alternating), so both see the same machine load. Build with
// -Dbuildtype=release.

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/session.hpp>

#include "postgres_bench_raw.hpp"
#include "session_bench_support.hpp"

using picklejar::Durability;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::bench::best_of;
using picklejar::bench::RawPgStore;

namespace {

using Results = std::map<std::string, double>;

struct Flags {
  int keys = 10000;
  int single = 1000;
  int processes = 4;
  int increments = 2000;
  int repeat = 3;
};

struct Data {
  std::vector<std::pair<std::string, Value>> items;
  std::vector<int> order;  // a random permutation of the keys
};

// The server over TCP on the loopback address (libpq takes the user, database and password
// file from the PG* variables).
std::string server() {
  const char* port = std::getenv("PGPORT");
  if (port == nullptr) throw std::runtime_error("PGPORT is not set (run scripts/bench-postgres)");
  return fmt::format("postgresql://127.0.0.1:{}", port);
}

std::string fresh_store(std::string_view what) {
  static int count = 0;
  return fmt::format("bench-{}-{}-{}", what, ::getpid(), ++count);
}

std::string url(const std::string& store) { return server() + "?store=" + store; }

SessionOptions options(Durability durability) {
  SessionOptions o;
  o.durability = durability;
  o.lock_timeout = std::chrono::minutes(10);
  return o;
}

// A new, empty store (a Session creates it, for either contender).
std::string new_store(std::string_view what) {
  std::string store = fresh_store(what);
  Session create(url(store), options(Durability::durable));
  return store;
}

std::string filled_store(std::string_view what, const Data& data) {
  const std::string store = new_store(what);
  Session s(url(store), options(Durability::durable));
  for (const auto& [key, value] : data.items) s.set(key, value);
  s.save();
  return store;
}

// A plain connection for the bench's own statements; throws on failure.
class Admin {
 public:
  Admin() : conn_(PQconnectdb(server().c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
  }
  ~Admin() { PQfinish(conn_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  // Runs `sql` with text parameters; the first column of the first row ("" when none).
  std::string exec(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    std::string out = status == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
      throw std::runtime_error(fmt::format("{}: {}", sql, PQerrorMessage(conn_)));
    return out;
  }
  PGconn* conn() { return conn_; }

 private:
  PGconn* conn_;
};

// ---- one round of each workload, per contender ------------------------------------------------

template <class Store, class Open>
void time_gets(const std::string& prefix, int repeat, const Data& data, Open open, Results& r) {
  const auto gets = [&](std::unique_ptr<Store>& s) {
    for (const int i : data.order) (void)s->get(data.items[static_cast<std::size_t>(i)].first);
  };
  r[prefix + "random_gets"] = best_of(repeat, open, gets, [](auto&) {});
  const auto open_and_read = [&] {
    auto s = open();
    gets(s);
    return s;
  };
  r[prefix + "random_gets_again"] = best_of(repeat, open_and_read, gets, [](auto&) {});
}

void time_picklejar(const Flags& flags, const Data& data, const std::string& store, Results& r) {
  r["picklejar/batch_save"] = best_of(
      1,
      [&] { return std::make_unique<Session>(url(new_store("pj")), options(Durability::durable)); },
      [&](std::unique_ptr<Session>& s) {
        for (const auto& [key, value] : data.items) s->set(key, value);
        s->save();
      },
      [](auto&) {});
  time_gets<Session>(
      "picklejar/", 1, data,
      [&] { return std::make_unique<Session>(url(store), options(Durability::durable)); }, r);
  r["picklejar/open_load"] = best_of(
      1, [] { return std::unique_ptr<Session>(); },
      [&](std::unique_ptr<Session>& s) {
        s = std::make_unique<Session>(url(store), options(Durability::durable));
      },
      [](auto&) {});
  for (const Durability d : {Durability::durable, Durability::fast}) {
    r[d == Durability::durable ? "picklejar/single_durable" : "picklejar/single_fast"] = best_of(
        1, [&] { return std::make_unique<Session>(url(new_store("pj")), options(d)); },
        [&](std::unique_ptr<Session>& s) {
          for (int i = 0; i < flags.single; ++i) {
            const auto& [key, value] = data.items[static_cast<std::size_t>(i)];
            s->set(key, value);
            s->save();
          }
        },
        [](auto&) {});
  }
}

void time_raw(const Flags& flags, const Data& data, const std::string& store, Results& r) {
  const std::string conninfo = server();
  r["raw/batch_save"] = best_of(
      1, [&] { return std::make_unique<RawPgStore>(conninfo, new_store("raw"), true); },
      [&](std::unique_ptr<RawPgStore>& s) { s->save_batch(data.items); }, [](auto&) {});
  time_gets<RawPgStore>(
      "raw/", 1, data, [&] { return std::make_unique<RawPgStore>(conninfo, store, true); }, r);
  r["raw/open_load"] = best_of(
      1, [] { return std::unique_ptr<RawPgStore>(); },
      [&](std::unique_ptr<RawPgStore>& s) {
        s = std::make_unique<RawPgStore>(conninfo, store, true);
        (void)s->load_all();
      },
      [](auto&) {});
  for (const bool durable : {true, false}) {
    r[durable ? "raw/single_durable" : "raw/single_fast"] = best_of(
        1, [&] { return std::make_unique<RawPgStore>(conninfo, new_store("raw"), durable); },
        [&](std::unique_ptr<RawPgStore>& s) {
          for (int i = 0; i < flags.single; ++i) {
            const auto& [key, value] = data.items[static_cast<std::size_t>(i)];
            s->save_one(key, value);
          }
        },
        [](auto&) {});
  }
}

// ---- transact and the Django-style save, in processes -----------------------------------------

void keep_best_rate(Results& r, const std::string& name, double rate) {
  const auto [best, first] = r.try_emplace(name, rate);
  if (!first) best->second = std::max(best->second, rate);
}

void keep_worst(Results& r, const std::string& name, double value) {
  const auto [worst, first] = r.try_emplace(name, value);
  if (!first) worst->second = std::max(worst->second, value);
}

void transact_picklejar(const Flags& flags, int processes, Results& r) {
  const std::string store = new_store("pj-count");
  const double seconds = picklejar::bench::run_together(processes, [&](const auto& t) {
    Session s(url(store), options(Durability::fast));
    t.ready();
    for (int i = 0; i < flags.increments; ++i)
      s.transact([](Session& x) { x.set("count", x.get_or<std::int64_t>("count", 0) + 1); });
    t.finished();
  });
  const std::int64_t total = std::int64_t{processes} * flags.increments;
  const auto count = Session(url(store), options(Durability::fast)).get<std::int64_t>("count");
  const std::string name = fmt::format("picklejar/transact_{}", processes);
  keep_best_rate(r, name, static_cast<double>(total) / seconds);
  keep_worst(r, name + "_lost", static_cast<double>(total - count));
}

void transact_raw(const Flags& flags, int processes, Results& r) {
  const std::string store = new_store("raw-count");
  const double seconds = picklejar::bench::run_together(processes, [&](const auto& t) {
    RawPgStore s(server(), store, false);
    t.ready();
    for (int i = 0; i < flags.increments; ++i) s.increment("count");
    t.finished();
  });
  const std::int64_t total = std::int64_t{processes} * flags.increments;
  const auto count = Session(url(store), options(Durability::fast)).get<std::int64_t>("count");
  const std::string name = fmt::format("raw/transact_{}", processes);
  keep_best_rate(r, name, static_cast<double>(total) / seconds);
  keep_worst(r, name + "_lost", static_cast<double>(total - count));
}

// Django's db session backend: the whole session dict pickled in one row, saved with one
// UPDATE after reading it, no lock (the last writer wins).
void transact_django(const Flags& flags, const Data& data, Results& r) {
  const std::string key = fresh_store("django");
  Value session = Value::dict({{Value("_auth_user_id"), Value("42")},
                               {Value("count"), Value(std::int64_t{0})},
                               {Value("profile"), data.items[0].second},
                               {Value("cart"), data.items[1].second}});
  {
    Admin admin;
    const std::string pickle = picklejar::dumps(session);
    const char* values[] = {key.c_str(), pickle.data()};
    const int lengths[] = {0, static_cast<int>(pickle.size())};
    const int formats[] = {0, 1};
    PGresult* res = PQexecParams(admin.conn(), "INSERT INTO bench_django_session VALUES ($1, $2)",
                                 2, nullptr, values, lengths, formats, 0);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) throw std::runtime_error("cannot insert the Django-style session");
  }
  const double seconds = picklejar::bench::run_together(flags.processes, [&](const auto& t) {
    Admin c;
    c.exec("SET synchronous_commit = off");
    PQclear(PQprepare(c.conn(), "load",
                      "SELECT session_data FROM bench_django_session WHERE session_key = $1", 1,
                      nullptr));
    PQclear(PQprepare(c.conn(), "save",
                      "UPDATE bench_django_session SET session_data = $2 WHERE session_key = $1", 2,
                      nullptr));
    t.ready();
    for (int i = 0; i < flags.increments; ++i) {
      const char* key_value[] = {key.c_str()};
      const int binary[] = {0, 1};
      PGresult* got = PQexecPrepared(c.conn(), "load", 1, key_value, nullptr, binary, 1);
      if (PQresultStatus(got) != PGRES_TUPLES_OK || PQntuples(got) != 1)
        throw std::runtime_error("Django-style load failed");
      Value dict = picklejar::loads(std::string_view(
          PQgetvalue(got, 0, 0), static_cast<std::size_t>(PQgetlength(got, 0, 0))));
      PQclear(got);
      dict.set(Value("count"), Value(dict[Value("count")].as_int() + 1));
      const std::string pickle = picklejar::dumps(dict);
      const char* values[] = {key.c_str(), pickle.data()};
      const int lengths[] = {0, static_cast<int>(pickle.size())};
      PGresult* put = PQexecPrepared(c.conn(), "save", 2, values, lengths, binary, 0);
      const bool ok = PQresultStatus(put) == PGRES_COMMAND_OK;
      PQclear(put);
      if (!ok) throw std::runtime_error("Django-style save failed");
    }
    t.finished();
  });
  Admin admin;
  const std::string hex = admin.exec(
      "SELECT encode(session_data, 'hex') FROM bench_django_session WHERE "
      "session_key = $1",
      {key});
  std::string pickle;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    pickle.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  const std::int64_t count = picklejar::loads(pickle)[Value("count")].as_int();
  const std::int64_t total = std::int64_t{flags.processes} * flags.increments;
  keep_best_rate(r, "django/transact_4", static_cast<double>(total) / seconds);
  keep_worst(r, "django/transact_4_lost", static_cast<double>(total - count));
}

// ---- the table ----------------------------------------------------------------------------

void print_table(const Flags& flags, const Results& r, Admin& admin) {
  const auto at = [&r](const std::string& name) {
    const auto it = r.find(name);
    return it == r.end() ? 0.0 : it->second;
  };
  fmt::print(
      "PostgreSQL {} on localhost (TCP 127.0.0.1), fsync={}, synchronous_commit as each "
      "workload says; {} keys, best of {}\n\n",
      admin.exec("SHOW server_version"), admin.exec("SHOW fsync"), flags.keys, flags.repeat);
  fmt::print("{:<34} {:>14} {:>14} {:>8}  {}\n", "workload", "picklejar", "raw libpq", "ratio",
             "within 1.3x");
  const auto time_row = [&](const std::string& label, const std::string& w) {
    const double ours = at("picklejar/" + w), theirs = at("raw/" + w);
    const double ratio = ours / theirs;
    fmt::print("{:<34} {:>11.1f} ms {:>11.1f} ms {:>7.2f}x  {}\n", label, ours * 1e3, theirs * 1e3,
               ratio, ratio <= 1.3 ? "yes" : "NO");
  };
  const auto rate_row = [&](const std::string& label, const std::string& w) {
    const double ours = at("picklejar/" + w), theirs = at("raw/" + w);
    const double ratio = theirs / ours;
    fmt::print("{:<34} {:>10.0f} /s {:>10.0f} /s {:>7.2f}x  {}   (lost: {} and {})\n", label, ours,
               theirs, ratio, ratio <= 1.3 ? "yes" : "NO", at("picklejar/" + w + "_lost"),
               at("raw/" + w + "_lost"));
  };
  time_row(fmt::format("batch save {} (durable)", flags.keys), "batch_save");
  time_row(fmt::format("random gets {}", flags.keys), "random_gets");
  time_row(fmt::format("random gets {} again", flags.keys), "random_gets_again");
  time_row(fmt::format("open + load {}", flags.keys), "open_load");
  time_row(fmt::format("single saves {} (durable)", flags.single), "single_durable");
  time_row(fmt::format("single saves {} (fast)", flags.single), "single_fast");
  rate_row("transact, 1 process (incr/s)", "transact_1");
  rate_row(fmt::format("transact, {} processes (incr/s)", flags.processes),
           fmt::format("transact_{}", flags.processes));
  const double total = static_cast<double>(flags.processes) * flags.increments;
  fmt::print(
      "\nDjango-style session save, {} processes x {} read-modify-writes of one pickled "
      "dict (SELECT, UPDATE, no lock):\n  {:.0f} saves/s, {:.0f} of {:.0f} updates lost "
      "(worst run) -- picklejar's transact(): {:.0f} incr/s, {:.0f} lost\n",
      flags.processes, flags.increments, at("django/transact_4"), at("django/transact_4_lost"),
      total, at(fmt::format("picklejar/transact_{}", flags.processes)),
      at(fmt::format("picklejar/transact_{}_lost", flags.processes)));
}

// ---- main ---------------------------------------------------------------------------------

std::optional<Flags> parse(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    int* number = name == "--keys"         ? &flags.keys
                  : name == "--single"     ? &flags.single
                  : name == "--processes"  ? &flags.processes
                  : name == "--increments" ? &flags.increments
                  : name == "--repeat"     ? &flags.repeat
                                           : nullptr;
    if (number != nullptr && (*number = std::atoi(value.c_str())) > 0) continue;
    fmt::print(stderr,
               "usage: postgres_bench [--keys=N] [--single=N] [--processes=N] "
               "[--increments=N] [--repeat=N]\n");
    return std::nullopt;
  }
  flags.single = std::min(flags.single, flags.keys);
  return flags;
}

Data make_data(const Flags& flags) {
  Data data;
  const std::vector<Value> values = picklejar::bench::session_values(flags.keys);
  for (int i = 0; i < flags.keys; ++i)
    data.items.emplace_back(picklejar::bench::session_key(i), values[static_cast<std::size_t>(i)]);
  data.order.resize(static_cast<std::size_t>(flags.keys));
  std::iota(data.order.begin(), data.order.end(), 0);
  std::shuffle(data.order.begin(), data.order.end(), std::mt19937(20261126));
  return data;
}

int run(const Flags& flags) {
  const Data data = make_data(flags);
  Results r;
  Admin admin;
  admin.exec("SET client_min_messages = warning");
  admin.exec("DROP TABLE IF EXISTS bench_django_session");
  admin.exec(
      "CREATE TABLE bench_django_session (session_key text PRIMARY KEY, session_data bytea NOT "
      "NULL)");
  const std::string pj_store = filled_store("pj-store", data);
  const std::string raw_store = filled_store("raw-store", data);
  const auto keep_best = [&r](const Results& times) {
    for (const auto& [name, seconds] : times) {
      const auto [best, first] = r.try_emplace(name, seconds);
      if (!first) best->second = std::min(best->second, seconds);
    }
  };
  // The contenders take turns, the first of each round alternating: what the server does
  // after a round (autovacuum, flushing the WAL of unflushed commits) falls on both alike.
  for (int round = 0; round < flags.repeat; ++round) {
    const bool ours_first = round % 2 == 0;
    Results times;
    if (ours_first) time_picklejar(flags, data, pj_store, times);
    time_raw(flags, data, raw_store, times);
    if (!ours_first) time_picklejar(flags, data, pj_store, times);
    keep_best(times);
    for (const int processes : {1, flags.processes}) {
      if (ours_first) transact_picklejar(flags, processes, r);
      transact_raw(flags, processes, r);
      if (!ours_first) transact_picklejar(flags, processes, r);
    }
    transact_django(flags, data, r);
  }
  print_table(flags, r, admin);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Flags> flags = parse(argc, argv);
  if (!flags) return 2;
  try {
    return run(*flags);
  } catch (const std::exception& e) {
    fmt::print(stderr, "postgres_bench: {}\n", e.what());
    return 1;
  }
}
