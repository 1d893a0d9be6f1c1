#pragma once
// What modules offer each other, by type: the datapoint module provides its DatapointService,
// the MQTT module its PubSub, the security module its gateway. A module looks up what it needs
// when it is created (modules are created in dependency order, ModuleType::after) and keeps the
// reference: a provided object lives as long as the module that provides it, and a module that
// replaces its object on reload keeps the provided one (it rebinds it instead).
#include <cassert>
#include <typeindex>
#include <unordered_map>

namespace weir::module {

class Services {
 public:
  template <class T>
  void provide(T& service) {
    map_[std::type_index(typeid(T))] = &service;
  }
  template <class T>
  void withdraw() {
    map_.erase(std::type_index(typeid(T)));
  }
  // Null when no running module provides T.
  template <class T>
  T* find() const {
    auto it = map_.find(std::type_index(typeid(T)));
    return it == map_.end() ? nullptr : static_cast<T*>(it->second);
  }
  // For dependencies declared in ModuleType::after, which are always created first.
  template <class T>
  T& get() const {
    T* p = find<T>();
    assert(p && "a module used a service no module provides: check ModuleType::after");
    return *p;
  }

 private:
  std::unordered_map<std::type_index, void*> map_;
};

}  // namespace weir::module
