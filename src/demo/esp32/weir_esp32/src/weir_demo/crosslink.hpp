#pragma once
// The cross-link logic every demo device runs (SPEC §9): what a play command means, whether the
// buzzer plays, and where in its melody it is.
//
//   CrossLink link(default_melody());
//   link.peer_presence(Presence::online, now);        // presence/{peer}/status
//   link.peer_reading(/*over_threshold=*/true, now);   // sensors/{peer}
//   link.set_override(parse_override("true").value, now);  // commands/{me}/play
//   link.tick(now);  link.playing(); link.frequency_hz();
//
// Pure on purpose: time is passed in (monotonic milliseconds from the caller's clock), nothing
// blocks, nothing allocates, no exceptions or RTTI. It is C++17 so the ESP32 Arduino toolchain
// compiles this very header (src/demo/esp32/README.md); keep it that way: standard library only,
// no Boost, no Weir headers.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace weir::devices {

using TimeMs = std::uint64_t;  // monotonic milliseconds; only differences matter

// ---- melodies ---------------------------------------------------------------------------------

struct Note {
  std::uint16_t frequency_hz;  // 0 = rest
  std::uint16_t duration_ms;
};

struct Melody {
  const char* name;
  const Note* notes;
  std::size_t count;

  constexpr std::uint32_t total_ms() const {
    std::uint32_t t = 0;
    for (std::size_t i = 0; i < count; ++i) t += notes[i].duration_ms;
    return t;
  }
};

// Lower-case on purpose: Arduino cores define upper-case pin names such as A4.
namespace pitch {
inline constexpr std::uint16_t rest = 0, c4 = 262, d4 = 294, e4 = 330, f4 = 349, g4 = 392, a4 = 440,
                               b4 = 494, c5 = 523;
}

// The first line of Beethoven's "Ode to Joy" and "Twinkle, Twinkle": short, recognisable, and
// distinct, so two devices side by side can be told apart by ear.
inline constexpr Note kOdeToJoyNotes[] = {
    {pitch::e4, 300}, {pitch::e4, 300}, {pitch::f4, 300}, {pitch::g4, 300},
    {pitch::g4, 300}, {pitch::f4, 300}, {pitch::e4, 300}, {pitch::d4, 300},
    {pitch::c4, 300}, {pitch::c4, 300}, {pitch::d4, 300}, {pitch::e4, 300},
    {pitch::e4, 450}, {pitch::d4, 150}, {pitch::d4, 600}, {pitch::rest, 600},
};
inline constexpr Note kTwinkleNotes[] = {
    {pitch::c4, 350}, {pitch::c4, 350}, {pitch::g4, 350}, {pitch::g4, 350}, {pitch::a4, 350},
    {pitch::a4, 350}, {pitch::g4, 700}, {pitch::f4, 350}, {pitch::f4, 350}, {pitch::e4, 350},
    {pitch::e4, 350}, {pitch::d4, 350}, {pitch::d4, 350}, {pitch::c4, 700}, {pitch::rest, 700},
};
inline constexpr Melody kOdeToJoy{"ode_to_joy", kOdeToJoyNotes, std::size(kOdeToJoyNotes)};
inline constexpr Melody kTwinkle{"twinkle", kTwinkleNotes, std::size(kTwinkleNotes)};
inline constexpr const Melody* kMelodies[] = {&kOdeToJoy, &kTwinkle};

inline constexpr const Melody& default_melody() {
  return kOdeToJoy;
}

// nullptr when no melody has that name.
inline const Melody* find_melody(std::string_view name) {
  for (const Melody* m : kMelodies)
    if (name == m->name) return m;
  return nullptr;
}

struct MelodyPosition {
  std::size_t step = 0;            // index of the note sounding at `now`
  std::uint16_t frequency_hz = 0;  // 0 during a rest
  std::uint32_t loop = 0;          // how many times the melody has wrapped around
  TimeMs next_change = 0;          // when the next note starts
};

// Steps through a melody by elapsed time and loops. restart() puts it back on the first note.
class MelodyPlayer {
 public:
  explicit constexpr MelodyPlayer(const Melody& melody) : melody_(&melody) {}

  void restart(TimeMs now) { start_ = now; }
  TimeMs started_at() const { return start_; }
  const Melody& melody() const { return *melody_; }

  MelodyPosition at(TimeMs now) const {
    MelodyPosition p;
    const std::uint32_t total = melody_->total_ms();
    if (total == 0 || melody_->count == 0) {
      p.next_change = now + 1000;  // nothing to play; nothing will change
      return p;
    }
    const TimeMs elapsed = now > start_ ? now - start_ : 0;  // a clock going back restarts
    p.loop = static_cast<std::uint32_t>(elapsed / total);
    TimeMs into = elapsed % total;
    for (std::size_t i = 0; i < melody_->count; ++i) {
      const std::uint16_t d = melody_->notes[i].duration_ms;
      if (into < d) {
        p.step = i;
        p.frequency_hz = melody_->notes[i].frequency_hz;
        p.next_change = now + (d - into);
        return p;
      }
      into -= d;
    }
    p.next_change = now + 1;  // unreachable: into < total
    return p;
  }

 private:
  const Melody* melody_;
  TimeMs start_ = 0;
};

// ---- inputs -----------------------------------------------------------------------------------

enum class Override : std::uint8_t {
  none,  // "" : resume cross-linked mode
  on,    // "true": play continuously whatever the sensors say
  off,   // "false": stay silent whatever the sensors say
};

enum class Presence : std::uint8_t { unknown, online, offline };

// Parse results carry a static reason when rejected (no allocation, usable on the ESP32).
struct OverrideParse {
  bool ok = false;
  Override value = Override::none;
  const char* reason = "";
};

struct PresenceParse {
  bool ok = false;
  Presence value = Presence::unknown;
  const char* reason = "";
};

inline constexpr std::size_t kMaxCommandPayload = 64;

namespace detail {
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}
constexpr bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}
// Trims, then strips one pair of JSON string quotes ("\"true\"" -> "true"). Escapes inside the
// quotes are not part of any accepted word, so they are refused rather than decoded.
constexpr bool unquote(std::string_view& s, const char*& reason) {
  s = trim(s);
  if (s.empty() || s.front() != '"') return true;
  if (s.size() < 2 || s.back() != '"') {
    reason = "unterminated quoted string";
    return false;
  }
  s = s.substr(1, s.size() - 2);
  for (char c : s) {
    if (c == '"' || c == '\\') {
      reason = "quoted string with escapes or embedded quotes";
      return false;
    }
  }
  s = trim(s);
  return true;
}
}  // namespace detail

// commands/{device}/play: "true"/"false"/"" (also 1/0, on/off, any case, surrounding
// whitespace, or the same as a JSON string). Anything else is refused with a reason.
inline OverrideParse parse_override(std::string_view payload) {
  OverrideParse r;
  if (payload.size() > kMaxCommandPayload) {
    r.reason = "payload too long (at most 64 bytes)";
    return r;
  }
  std::string_view s = payload;
  if (!detail::unquote(s, r.reason)) return r;
  r.ok = true;
  if (s.empty()) {
    r.value = Override::none;
  } else if (detail::iequals(s, "true") || s == "1" || detail::iequals(s, "on")) {
    r.value = Override::on;
  } else if (detail::iequals(s, "false") || s == "0" || detail::iequals(s, "off")) {
    r.value = Override::off;
  } else {
    r.ok = false;
    r.reason = "expected \"true\", \"false\" or \"\" (or 1/0, on/off)";
  }
  return r;
}

// presence/{device}/status: "online"/"offline" (any case, whitespace, JSON-quoted). An empty
// payload is a cleared retained message: presence unknown.
inline PresenceParse parse_presence(std::string_view payload) {
  PresenceParse r;
  if (payload.size() > kMaxCommandPayload) {
    r.reason = "payload too long (at most 64 bytes)";
    return r;
  }
  std::string_view s = payload;
  if (!detail::unquote(s, r.reason)) return r;
  r.ok = true;
  if (s.empty()) {
    r.value = Presence::unknown;
  } else if (detail::iequals(s, "online")) {
    r.value = Presence::online;
  } else if (detail::iequals(s, "offline")) {
    r.value = Presence::offline;
  } else {
    r.ok = false;
    r.reason = "expected \"online\" or \"offline\"";
  }
  return r;
}

// ---- state ------------------------------------------------------------------------------------

enum class Mode : std::uint8_t { automatic, override_on, override_off };

// The names used on the wire (devices/{id}/state "mode").
inline constexpr const char* kModeNames[] = {"auto", "override_on", "override_off"};
inline constexpr const char* mode_name(Mode m) {
  return kModeNames[static_cast<std::size_t>(m)];
}

// Why the buzzer is playing or silent; said in every decision log line and state report.
enum class Reason : std::uint8_t {
  override_on,
  override_off,
  peer_over_threshold,
  peer_under_threshold,
  no_peer_reading,
  peer_offline,
};
inline constexpr const char* kReasonNames[] = {"override on",          "override off",
                                               "peer over threshold",  "peer under threshold",
                                               "no reading from peer", "peer offline"};
inline constexpr const char* reason_text(Reason r) {
  return kReasonNames[static_cast<std::size_t>(r)];
}

inline constexpr const char* kPresenceNames[] = {"unknown", "online", "offline"};
inline constexpr const char* presence_name(Presence p) {
  return kPresenceNames[static_cast<std::size_t>(p)];
}

// What an input changed, so the caller knows what to report.
struct Change {
  bool playing = false;    // started or stopped
  bool mode = false;       // auto / override_on / override_off
  bool restarted = false;  // the melody went back to its first note
  bool step = false;       // the melody moved to another note
  bool peer = false;       // what we know of the peer (presence, over_threshold) changed
  bool reason = false;     // the reason for playing/silence changed

  // Worth a decision log line and a state report.
  bool decision() const { return playing || mode || restarted || peer || reason; }
  bool any() const { return decision() || step; }
  Change& operator|=(const Change& o) {
    playing |= o.playing;
    mode |= o.mode;
    restarted |= o.restarted;
    step |= o.step;
    peer |= o.peer;
    reason |= o.reason;
    return *this;
  }
};

// The cross-linked buzzer:
//  - override on -> play; override off -> silent;
//  - no override (auto) -> play while the peer's last reading is over its threshold; silent with
//    no reading yet, or while the peer is offline (going offline forgets its last reading);
//  - the peer coming online restarts the melody from its first note, as does starting to play.
class CrossLink {
 public:
  explicit CrossLink(const Melody& melody = default_melody()) : player_(melody) {}

  Change set_override(Override o, TimeMs now) {
    override_ = o;
    return update(now, Change{});
  }

  Change peer_reading(bool over_threshold, TimeMs now) {
    Change c;
    c.peer = !peer_over_ || *peer_over_ != over_threshold;
    peer_over_ = over_threshold;
    return update(now, c);
  }

  Change peer_presence(Presence p, TimeMs now) {
    Change c;
    c.peer = p != presence_;
    presence_ = p;
    if (p == Presence::offline && peer_over_) {
      peer_over_.reset();
      c.peer = true;
    }
    if (p == Presence::online) {
      restart(now);
      c.restarted = true;
    }
    return update(now, c);
  }

  // Advances the melody to `now`; call it at least by next_change().
  Change tick(TimeMs now) { return update(now, Change{}); }

  bool playing() const { return playing_; }
  Mode mode() const {
    return override_ == Override::on    ? Mode::override_on
           : override_ == Override::off ? Mode::override_off
                                        : Mode::automatic;
  }
  Override override_value() const { return override_; }
  Reason reason() const { return reason_; }
  std::size_t step() const { return step_; }
  std::uint16_t frequency_hz() const { return frequency_; }  // 0 while silent or in a rest
  Presence peer_presence() const { return presence_; }
  std::optional<bool> peer_over_threshold() const { return peer_over_; }
  TimeMs since() const { return since_; }  // last start/stop, mode change or restart
  const Melody& melody() const { return player_.melody(); }

  // When tick() may next change something (the next note while playing).
  TimeMs next_change(TimeMs now) const {
    return playing_ ? player_.at(now).next_change : now + 1000;
  }

 private:
  void restart(TimeMs now) {
    player_.restart(now);
    since_ = now;
  }

  Change update(TimeMs now, Change c) {
    bool play = false;
    Reason why = Reason::no_peer_reading;
    switch (override_) {
      case Override::on:
        play = true, why = Reason::override_on;
        break;
      case Override::off:
        play = false, why = Reason::override_off;
        break;
      case Override::none:
        if (presence_ == Presence::offline) {
          why = Reason::peer_offline;
        } else if (!peer_over_) {
          why = Reason::no_peer_reading;
        } else {
          play = *peer_over_;
          why = play ? Reason::peer_over_threshold : Reason::peer_under_threshold;
        }
        break;
    }
    const Mode m = mode();
    if (m != last_mode_) {
      c.mode = true;
      last_mode_ = m;
      since_ = now;
    }
    if (why != reason_) {
      c.reason = true;
      reason_ = why;
    }
    if (play != playing_) {
      c.playing = true;
      playing_ = play;
      since_ = now;
      if (play) {
        restart(now);
        c.restarted = true;
      }
    }
    std::size_t step = 0;
    std::uint16_t freq = 0;
    if (playing_) {
      const MelodyPosition p = player_.at(now);
      step = p.step;
      freq = p.frequency_hz;
    }
    if (step != step_) c.step = true;
    step_ = step;
    frequency_ = freq;
    return c;
  }

  MelodyPlayer player_;
  Override override_ = Override::none;
  Presence presence_ = Presence::unknown;
  std::optional<bool> peer_over_;
  bool playing_ = false;
  Mode last_mode_ = Mode::automatic;
  Reason reason_ = Reason::no_peer_reading;
  std::size_t step_ = 0;
  std::uint16_t frequency_ = 0;
  TimeMs since_ = 0;
};

}  // namespace weir::devices
