#pragma once
// Quality after OPC UA's three severities, with the reason a value is not simply good.
#include <boost/describe.hpp>

namespace weir::model {

enum class Quality { good, uncertain, bad };
BOOST_DESCRIBE_ENUM(Quality, good, uncertain, bad)

enum class QualityReason {
  none,             // good, fresh from its source
  initial,          // never received: the type's default (the Python platform's "unknown")
  not_connected,    // its driver is offline
  last_usable,      // held from before a loss of communication
  simulated,        // produced by a simulated driver
  manual_override,  // written by an operator
  out_of_range,     // the source reported a value outside the type's range
  config_error,     // the configuration does not allow a valid value (unknown type, ...)
  device_failure,   // the device reported a fault
};
BOOST_DESCRIBE_ENUM(QualityReason, none, initial, not_connected, last_usable, simulated,
                    manual_override, out_of_range, config_error, device_failure)

}  // namespace weir::model
