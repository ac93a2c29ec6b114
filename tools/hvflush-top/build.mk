# hvflush-top: the screen is ncurses.
LDLIBS_hvflush-top += -lncurses
# The FIFO pairing uses atomic exchange and compare-and-swap (BPF ISA v3).
$(BUILD)/bpf/hvflush.bpf.o: BPF_CFLAGS += -mcpu=v3
