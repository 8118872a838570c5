"""Python classes that mirror the C++ structs mapped with PICKLEJAR_CLASS in
tests/test_codec_class.cpp. The module is pjcodec.state (a dotted module name on purpose)."""
