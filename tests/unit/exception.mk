# How an exception combines with the event whose delivery it interrupted
# (hvm/exception.c): double faults and shutdown, SDM Vol. 3A Table 6-5.
TESTS += exception
SRCS_exception := xen/arch/x86/hvm/exception.c
