# hvflush-top: the screen is ncurses, its wide-character build: the narrow
# one shows each byte of a UTF-8 name past ASCII as "M-x".
LDLIBS_hvflush-top += -lncursesw
# The FIFO pairing uses atomic exchange and compare-and-swap (BPF ISA v3).
$(BUILD)/bpf/hvflush.bpf.o: BPF_CFLAGS += -mcpu=v3
