#pragma once
// Everything picklejar offers, in one include.

#include <picklejar/config.hpp>

#include <picklejar/buffer.hpp>
#include <picklejar/codec.hpp>
#include <picklejar/dis.hpp>
#include <picklejar/error.hpp>
#include <picklejar/extensions.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/scan.hpp>
#include <picklejar/session.hpp>
#include <picklejar/stores.hpp>
#include <picklejar/value.hpp>
