// Adapters from the renamed LLVMFuzzerTestOneInput symbols to the smoke driver.
#include <cstddef>
#include <cstdint>

extern "C" int fuzz_decoder_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_topic_filter_entry(const std::uint8_t* data, std::size_t size);

int fuzz_decoder(const std::uint8_t* data, std::size_t size) {
  return fuzz_decoder_entry(data, size);
}
int fuzz_topic_filter(const std::uint8_t* data, std::size_t size) {
  return fuzz_topic_filter_entry(data, size);
}
