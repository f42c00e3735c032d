// Stop strings over streamed text: emits text as soon as it cannot be the start of a stop
// string, holds back a possible partial match, and cuts the output where a stop string begins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth::sampling {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds generated text; returns the text that may be shown now. After a stop string appears,
  // stopped() is true and nothing after its start is ever returned.
  std::string push(std::string_view text);
  // At the end of generation: whatever was held back (empty once stopped).
  std::string flush();
  bool stopped() const { return stopped_; }
  const std::string& matched() const { return matched_; }  // the stop string that fired

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // text not yet emitted
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace hearth::sampling
