#include "filesystem.hpp"

#include <sys/vfs.h>

#include <array>

namespace picklejar::store {

bool is_network_filesystem(std::uint64_t f_type) noexcept {
  // Magic numbers from linux/magic.h and the file systems' own sources.
  static constexpr std::array<std::uint64_t, 16> kNetwork = {
      0x6969,      // NFS_SUPER_MAGIC
      0x517B,      // SMB_SUPER_MAGIC
      0xFF534D42,  // CIFS_MAGIC_NUMBER
      0xFE534D42,  // SMB2_MAGIC_NUMBER
      0x5346414F,  // AFS_SUPER_MAGIC (kAFS)
      0x6B414653,  // AFS_FS_MAGIC (OpenAFS)
      0x73757245,  // CODA_SUPER_MAGIC
      0x564C,      // NCP_SUPER_MAGIC
      0x01021997,  // V9FS_MAGIC (9P)
      0x00C36400,  // CEPH_SUPER_MAGIC
      0x0BD00BD0,  // LUSTRE_SUPER_MAGIC
      0x47504653,  // GPFS_SUPER_MAGIC
      0x01161970,  // GFS2_MAGIC
      0x7461636F,  // OCFS2_SUPER_MAGIC
      0x65735546,  // FUSE_SUPER_MAGIC (sshfs, GlusterFS, ...)
      0x013111A8,  // IBRIX
  };
  for (const std::uint64_t magic : kNetwork)
    if (magic == f_type) return true;
  return false;
}

std::optional<std::uint64_t> filesystem_type(const std::filesystem::path& path) {
  struct statfs info {};
  if (::statfs(path.c_str(), &info) == 0) return static_cast<std::uint32_t>(info.f_type);
  const std::filesystem::path parent =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (::statfs(parent.c_str(), &info) == 0) return static_cast<std::uint32_t>(info.f_type);
  return std::nullopt;
}

}  // namespace picklejar::store
