// Cutting special tokens out of the input text before the model tokenizer runs.
#include <string_view>

#include "tokenizer/sessions.h"

namespace hearth::tokenizer {
namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) : vocab_(&vocab) {
  for (int32_t& c : root_children_) c = -1;
  nodes_.emplace_back();
  const std::vector<int32_t>& specials = vocab.special_tokens();
  for (size_t order = 0; order < specials.size(); ++order) {
    insert(vocab.text(specials[order]), static_cast<int32_t>(order));
  }
}

int32_t SpecialTokenMatcher::child(int32_t node, uint8_t byte) const {
  if (node == 0) return root_children_[byte];
  for (int32_t c = nodes_[node].first_child; c >= 0; c = nodes_[c].next_sibling) {
    if (nodes_[c].byte == byte) return c;
  }
  return -1;
}

void SpecialTokenMatcher::insert(std::string_view text, int32_t order) {
  int32_t node = 0;
  for (char ch : text) {
    const auto byte = static_cast<uint8_t>(ch);
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      Node fresh;
      fresh.byte = byte;
      if (node == 0) {
        root_children_[byte] = next;
      } else {
        fresh.next_sibling = nodes_[node].first_child;
        nodes_[node].first_child = next;
      }
      nodes_.push_back(fresh);
    }
    node = next;
  }
  nodes_[node].order = order;  // texts are unique, so at most one token ends here
}

std::vector<Fragment> SpecialTokenMatcher::split(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({0, text.size(), kNoToken});
  const std::vector<int32_t>& specials = vocab_->special_tokens();
  if (specials.empty()) return fragments;

  // One pass: which special tokens occur anywhere in the text?
  std::vector<bool> present(specials.size(), false);
  bool any = false;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    int32_t node = root_children_[static_cast<uint8_t>(text[pos])];
    for (size_t i = pos + 1; node >= 0; ++i) {
      if (nodes_[node].order >= 0) present[nodes_[node].order] = any = true;
      if (i == text.size()) break;
      node = child(node, static_cast<uint8_t>(text[i]));
    }
  }
  if (!any) return fragments;

  // Then llama.cpp's order: token by token, longest text first.
  std::vector<Fragment> next;
  for (size_t order = 0; order < specials.size(); ++order) {
    if (!present[order]) continue;
    const int32_t id = specials[order];
    const uint32_t attr = vocab_->attr(id);
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& token_text = vocab_->text(id);
    next.clear();
    for (const Fragment& fragment : fragments) {
      if (fragment.token != kNoToken) {
        next.push_back(fragment);
        continue;
      }
      size_t begin = fragment.begin;
      const size_t end = fragment.end;
      while (begin < end) {
        const size_t match = text.substr(0, end).find(token_text, begin);
        if (match == std::string_view::npos) break;
        size_t left_end = match;
        if (attr & kAttrLstrip) {
          while (left_end > begin && is_ascii_space(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) next.push_back({begin, left_end, kNoToken});
        next.push_back({match, match + token_text.size(), id});
        begin = match + token_text.size();
        if (attr & kAttrRstrip) {
          while (begin < end && is_ascii_space(text[begin])) ++begin;
        }
      }
      if (begin < end) next.push_back({begin, end, kNoToken});
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace hearth::tokenizer
