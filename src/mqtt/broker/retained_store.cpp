#include "mqtt/broker/retained_store.hpp"

#include <algorithm>

namespace weir::mqtt {

namespace {

// Calls f(level) for each level of a topic name or filter ("a//b": "a", "", "b").
template <class F>
void for_each_level(std::string_view s, F&& f) {
  std::size_t start = 0;
  while (true) {
    const auto e = s.find('/', start);
    if (e == std::string_view::npos) {
      f(s.substr(start));
      return;
    }
    f(s.substr(start, e - start));
    start = e + 1;
  }
}

bool dollar(std::string_view level) {
  return !level.empty() && level.front() == '$';
}

}  // namespace

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;

void RetainedStore::put(MessagePtr m) {
  Node* n = root_.get();
  for_each_level(m->topic, [&](std::string_view l) {
    auto it = n->children.find(l);
    if (it == n->children.end())
      it = n->children.emplace(std::string(l), std::make_unique<Node>()).first;
    n = it->second.get();
  });
  if (n->msg) {
    if (n->msg->expires_at) expiry_.erase(n->expiry);
    bytes_ -= cost(*n->msg);
  } else {
    ++count_;
  }
  bytes_ += cost(*m);
  n->msg = std::move(m);
  if (n->msg->expires_at) n->expiry = expiry_.emplace(*n->msg->expires_at, n);
}

bool RetainedStore::erase(std::string_view topic) {
  // The path from the root, to prune the nodes the removal leaves empty.
  std::vector<std::pair<Node*, std::string_view>> path;
  Node* n = root_.get();
  bool found = true;
  for_each_level(topic, [&](std::string_view l) {
    if (!found) return;
    auto it = n->children.find(l);
    if (it == n->children.end()) {
      found = false;
      return;
    }
    path.emplace_back(n, l);
    n = it->second.get();
  });
  if (!found || !n->msg) return false;
  if (n->msg->expires_at) expiry_.erase(n->expiry);
  bytes_ -= cost(*n->msg);
  n->msg.reset();
  --count_;
  for (auto p = path.rbegin(); p != path.rend(); ++p) {
    auto it = p->first->children.find(p->second);
    if (it->second->msg || !it->second->children.empty()) break;
    p->first->children.erase(it);
  }
  return true;
}

MessagePtr RetainedStore::find(std::string_view topic) const {
  const Node* n = root_.get();
  for_each_level(topic, [&](std::string_view l) {
    if (!n) return;
    auto it = n->children.find(l);
    n = it == n->children.end() ? nullptr : it->second.get();
  });
  return n ? n->msg : nullptr;
}

std::size_t RetainedStore::node_count() const {
  std::size_t n = 0;
  std::vector<const Node*> stack{root_.get()};
  while (!stack.empty()) {
    const Node* x = stack.back();
    stack.pop_back();
    n += x->children.size();
    for (const auto& [name, child] : x->children) stack.push_back(child.get());
  }
  return n;
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  levels_.clear();
  for_each_level(filter, [&](std::string_view l) { levels_.push_back(l); });
  const auto first = static_cast<std::ptrdiff_t>(out.size());
  match_level(*root_, 0, out);
  std::sort(out.begin() + first, out.end(),
            [](const MessagePtr& a, const MessagePtr& b) { return a->topic < b->topic; });
}

void RetainedStore::match_level(const Node& n, std::size_t i, std::vector<MessagePtr>& out) const {
  if (i == levels_.size()) {
    if (n.msg) out.push_back(n.msg);
    return;
  }
  const std::string_view l = levels_[i];
  const bool root = i == 0;  // a leading wildcard skips '$' topics
  if (l == "#") {
    collect_subtree(n, root, out);  // n itself is the parent level ("a/#" matches "a")
    return;
  }
  if (l == "+") {
    for (const auto& [name, child] : n.children)
      if (!(root && dollar(name))) match_level(*child, i + 1, out);
    return;
  }
  if (auto it = n.children.find(l); it != n.children.end()) match_level(*it->second, i + 1, out);
}

void RetainedStore::collect_subtree(const Node& top, bool skip_dollar,
                                    std::vector<MessagePtr>& out) {
  std::vector<const Node*> stack{&top};  // no recursion: topics may be deep
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->msg) out.push_back(n->msg);
    for (const auto& [name, child] : n->children)
      if (!(skip_dollar && n == &top && dollar(name))) stack.push_back(child.get());
  }
}

}  // namespace weir::mqtt
