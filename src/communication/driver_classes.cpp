#include "communication/driver_classes.hpp"

namespace weir::communication {

void DriverClasses::add(DriverClass c) {
  for (auto& x : classes_)
    if (x.name == c.name) {
      x = std::move(c);
      return;
    }
  classes_.push_back(std::move(c));
}

const DriverClass* DriverClasses::find(std::string_view name) const {
  for (const auto& c : classes_)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace weir::communication
