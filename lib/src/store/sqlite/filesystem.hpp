#pragma once
// Which journal a session file gets (internal). WAL keeps its index in shared memory (the
// -shm file, mapped by every process), so it only works when all processes share one
// kernel: SQLite's documentation says WAL does not work over a network file system. There
// the store falls back to the rollback journal (docs/FORMAT.md "Journal and durability").

#include <cstdint>
#include <filesystem>
#include <optional>

namespace picklejar::store {

// Whether statfs()'s f_type names a network or cluster file system (NFS, SMB/CIFS, AFS,
// Coda, 9P, Ceph, Lustre, GPFS, GlusterFS...) or FUSE, which may be one (sshfs).
bool is_network_filesystem(std::uint64_t f_type) noexcept;

// statfs() f_type (its low 32 bits, which hold every magic number) of the file system
// holding `path`, or its directory when the file does not exist yet; empty when unknown.
std::optional<std::uint64_t> filesystem_type(const std::filesystem::path& path);

}  // namespace picklejar::store
