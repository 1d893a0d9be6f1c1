#include "historian/rollup.hpp"

#include <algorithm>

namespace weir::historian {

std::int64_t level_ms(Level l) {
  switch (l) {
    case Level::s1:
      return 1'000;
    case Level::m1:
      return 60'000;
    case Level::h1:
      return 3'600'000;
    case Level::raw:
      break;
  }
  return 0;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::s1:
      return "1s";
    case Level::m1:
      return "1m";
    case Level::h1:
      return "1h";
    case Level::raw:
      break;
  }
  return "raw";
}

std::string_view rollup_table(Level l) {
  switch (l) {
    case Level::s1:
      return "rollup_1s";
    case Level::m1:
      return "rollup_1m";
    default:
      return "rollup_1h";
  }
}

std::int64_t floor_to(std::int64_t ms, std::int64_t width) {
  const std::int64_t q = ms / width;
  return (ms % width < 0 ? q - 1 : q) * width;
}

void Bucket::add(std::int64_t ms, double v) {
  if (count == 0) {
    first = last = min = max = v;
    first_ms = last_ms = min_ms = max_ms = ms;
  } else {
    if (ms < first_ms) first = v, first_ms = ms;
    if (ms >= last_ms) last = v, last_ms = ms;
    if (v < min) min = v, min_ms = ms;
    if (v > max) max = v, max_ms = ms;
  }
  ++count;
  sum += v;
}

void Bucket::merge(const Bucket& o) {
  if (o.count == 0) return;
  if (count == 0) {
    const auto start = start_ms;
    *this = o;
    start_ms = start;
    return;
  }
  if (o.first_ms < first_ms) first = o.first, first_ms = o.first_ms;
  if (o.last_ms >= last_ms) last = o.last, last_ms = o.last_ms;
  if (o.min < min) min = o.min, min_ms = o.min_ms;
  if (o.max > max) max = o.max, max_ms = o.max_ms;
  count += o.count;
  sum += o.sum;
}

void RollupAccumulator::add(std::int64_t ms, double v, std::vector<Closed>& closed) {
  for (std::size_t i = 0; i < open_.size(); ++i) {
    const Level level = kRollupLevels[i];
    const std::int64_t start = floor_to(ms, level_ms(level));
    auto& b = open_[i];
    if (b && b->start_ms != start) {
      closed.push_back({level, *b});
      b.reset();
    }
    if (!b) {
      b.emplace();
      b->start_ms = start;
    }
    b->add(ms, v);
  }
}

void RollupAccumulator::take_open(std::vector<Closed>& out) {
  for (std::size_t i = 0; i < open_.size(); ++i)
    if (open_[i]) {
      out.push_back({kRollupLevels[i], *open_[i]});
      open_[i].reset();
    }
}

Level choose_level(std::int64_t from_ms, std::int64_t to_ms, std::size_t budget) {
  const std::int64_t span = std::max<std::int64_t>(to_ms - from_ms, 0);
  for (auto it = kRollupLevels.rbegin(); it != kRollupLevels.rend(); ++it)
    if (span / level_ms(*it) >= static_cast<std::int64_t>(std::max<std::size_t>(budget, 1)))
      return *it;
  return Level::raw;
}

std::int64_t output_width(std::int64_t from_ms, std::int64_t to_ms, std::size_t budget) {
  const std::int64_t span = std::max<std::int64_t>(to_ms - from_ms, 1);
  const auto b = static_cast<std::int64_t>(std::max<std::size_t>(budget, 1));
  return std::max<std::int64_t>((span + b - 1) / b, 1);
}

namespace {
template <class Each>
std::vector<Bucket> group(std::int64_t from_ms, std::int64_t to_ms, std::int64_t width,
                          Each&& each) {
  std::vector<Bucket> out;
  each([&](std::int64_t ms, const auto& add) {
    if (ms < from_ms || ms >= to_ms) return;
    const std::int64_t start = from_ms + (ms - from_ms) / width * width;
    if (out.empty() || out.back().start_ms != start) {
      out.emplace_back();
      out.back().start_ms = start;
    }
    add(out.back());
  });
  return out;
}
}  // namespace

std::vector<Bucket> regroup(std::span<const Bucket> in, std::int64_t from_ms, std::int64_t to_ms,
                            std::int64_t width) {
  return group(from_ms, to_ms, width, [&](auto&& emit) {
    for (const auto& b : in) emit(std::max(b.start_ms, from_ms), [&](Bucket& o) { o.merge(b); });
  });
}

std::vector<Bucket> bucket_samples(std::span<const Sample> in, std::int64_t from_ms,
                                   std::int64_t to_ms, std::int64_t width) {
  return group(from_ms, to_ms, width, [&](auto&& emit) {
    for (const auto& s : in) {
      const auto v = numeric(s.value);
      if (!v) continue;
      emit(s.source_ms, [&](Bucket& o) { o.add(s.source_ms, *v); });
    }
  });
}

std::vector<Point> m4_points(std::span<const Bucket> buckets) {
  std::vector<Point> out;
  out.reserve(buckets.size() * 4);
  for (const auto& b : buckets) {
    if (b.count == 0) continue;
    std::array<Point, 4> p{
        {{b.first_ms, b.first}, {b.min_ms, b.min}, {b.max_ms, b.max}, {b.last_ms, b.last}}};
    std::stable_sort(p.begin(), p.end(),
                     [](const Point& a, const Point& c) { return a.ms < c.ms; });
    for (const auto& x : p)
      if (out.empty() || out.back().ms != x.ms) out.push_back(x);
  }
  return out;
}

}  // namespace weir::historian
