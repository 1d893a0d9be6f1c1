#include "mqtt/broker/topic_tree.hpp"

#include <algorithm>

namespace weir::mqtt {

void split_levels(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    auto e = s.find('/', start);
    if (e == std::string_view::npos) {
      out.push_back(s.substr(start));
      return;
    }
    out.push_back(s.substr(start, e - start));
    start = e + 1;
  }
}

TopicTree::TopicTree() : root_(std::make_unique<Node>()) {}
TopicTree::~TopicTree() = default;

bool TopicTree::add(std::string_view filter, std::string_view group, const SubEntry& e) {
  std::vector<std::string_view> levels;
  split_levels(filter, levels);
  Node* n = root_.get();
  for (auto l : levels) {
    auto it = n->children.find(l);
    if (it == n->children.end())
      it = n->children.emplace(std::string(l), std::make_unique<Node>()).first;
    n = it->second.get();
  }
  auto upsert = [&](std::vector<SubEntry>& v) {
    for (auto& s : v)
      if (s.who == e.who) {
        s = e;
        return false;
      }
    v.push_back(e);
    ++count_;
    return true;
  };
  if (group.empty()) return upsert(n->subs);
  for (auto& g : n->groups)
    if (g.name == group) return upsert(g.members);
  n->groups.push_back(SharedGroup{std::string(group), {}, 0});
  return upsert(n->groups.back().members);
}

bool TopicTree::remove(std::string_view filter, std::string_view group, SubscriberId who) {
  std::vector<std::string_view> levels;
  split_levels(filter, levels);
  std::vector<std::pair<Node*, std::string_view>> path;
  Node* n = root_.get();
  for (auto l : levels) {
    auto it = n->children.find(l);
    if (it == n->children.end()) return false;
    path.emplace_back(n, l);
    n = it->second.get();
  }
  bool removed = false;
  auto erase = [&](std::vector<SubEntry>& v) {
    auto it = std::find_if(v.begin(), v.end(), [&](const SubEntry& s) { return s.who == who; });
    if (it == v.end()) return;
    v.erase(it);
    removed = true;
    --count_;
  };
  if (group.empty()) {
    erase(n->subs);
  } else {
    for (auto it = n->groups.begin(); it != n->groups.end(); ++it) {
      if (it->name != group) continue;
      erase(it->members);
      if (it->members.empty())
        n->groups.erase(it);
      else if (it->next >= it->members.size())
        it->next = 0;
      break;
    }
  }
  // Prune empty nodes bottom-up.
  for (auto p = path.rbegin(); p != path.rend(); ++p) {
    auto it = p->first->children.find(p->second);
    if (!it->second->empty()) break;
    p->first->children.erase(it);
  }
  return removed;
}

void TopicTree::emit(Node& n, const std::function<void(const SubEntry&)>& on_sub,
                     const std::function<void(SharedGroup&)>& on_group) {
  for (const auto& s : n.subs) on_sub(s);
  for (auto& g : n.groups) on_group(g);
}

void TopicTree::match_level(Node& n, std::size_t i, bool dollar,
                            const std::function<void(const SubEntry&)>& on_sub,
                            const std::function<void(SharedGroup&)>& on_group) {
  const bool wild_ok = !(i == 0 && dollar);
  if (wild_ok) {
    if (auto it = n.children.find(std::string_view("#")); it != n.children.end())
      emit(*it->second, on_sub, on_group);
  }
  if (i == levels_.size()) {
    emit(n, on_sub, on_group);
    return;
  }
  if (wild_ok) {
    if (auto it = n.children.find(std::string_view("+")); it != n.children.end())
      match_level(*it->second, i + 1, dollar, on_sub, on_group);
  }
  if (levels_[i] == "+" || levels_[i] == "#") return;  // never in a valid topic name
  if (auto it = n.children.find(levels_[i]); it != n.children.end())
    match_level(*it->second, i + 1, dollar, on_sub, on_group);
}

void TopicTree::match(std::string_view topic, const std::function<void(const SubEntry&)>& on_sub,
                      const std::function<void(SharedGroup&)>& on_group) {
  split_levels(topic, levels_);
  match_level(*root_, 0, !topic.empty() && topic[0] == '$', on_sub, on_group);
}

}  // namespace weir::mqtt
