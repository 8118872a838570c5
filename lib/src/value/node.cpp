#include "node.hpp"

namespace picklejar::detail {
namespace {
template <class N>
void destroy_as(Node* node, Arena* arena, std::size_t size = sizeof(N)) noexcept {
  const bool in_arena = node->flags & NodeFlag::in_arena;
  static_cast<N*>(node)->~N();
  if (!in_arena) {
    ::operator delete(node);
  } else if (arena != nullptr) {
    arena->deallocate(node, size);
  }
}
}  // namespace

void destroy_node(Node* node, Arena* arena) noexcept {
  switch (node->kind) {
    case Kind::str:
      return destroy_as<StrNode>(node, arena, StrNode::block_size(as_str(node).size));
    case Kind::bytes:
    case Kind::bytearray:
      return destroy_as<BytesNode>(node, arena);
    case Kind::integer:
      return destroy_as<BigIntNode>(node, arena);
    case Kind::list:
    case Kind::tuple:
      return destroy_as<SequenceNode>(node, arena);
    case Kind::dict:
    case Kind::set:
    case Kind::frozenset:
      return destroy_as<TableNode>(node, arena);
    case Kind::global:
      return destroy_as<GlobalNode>(node, arena);
    case Kind::object:
      return destroy_as<ObjectNode>(node, arena);
    case Kind::none:
    case Kind::boolean:
    case Kind::floating:
      break;  // never nodes
  }
}

}  // namespace picklejar::detail
