# tests/fs/mkimg_tree.sh - sourced by the mkimg scripts: make_tree DIR
# fills DIR with every kind of file mkimg copies (regular, empty, sparse,
# multi-level indirect, directories, fast and slow symlinks, hard links,
# a fifo, a socket and device nodes when root), with varied modes, owners
# and times.
make_tree() {
	d=$1
	mkdir -p "$d/dir/sub/deeper" "$d/empty-dir"
	printf 'hello\n' > "$d/small"
	: > "$d/empty"
	head -c 70000 /dev/urandom > "$d/dir/indirect"
	head -c 3000000 /dev/urandom > "$d/dir/sub/dind"
	printf 'start' > "$d/sparse"
	truncate -s 40M "$d/sparse"
	printf 'end' >> "$d/sparse"
	truncate -s 20M "$d/all-hole"
	ln "$d/small" "$d/dir/hardlink"
	ln "$d/small" "$d/dir/sub/hardlink2"
	ln -s small "$d/fast-link"
	ln -s "$(printf 'long/%.0s' $(seq 40))target" "$d/slow-link"
	mkfifo "$d/fifo"
	chmod 4755 "$d/dir/indirect"
	chmod 0600 "$d/dir/sub/dind"
	chmod 1777 "$d/empty-dir"
	i=0
	while [ $i -lt 120 ]; do
		printf '%s' "$i" > "$d/dir/sub/deeper/file-number-$i"
		i=$((i + 1))
	done
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/socket"
	fi
	if [ "$(id -u)" = 0 ]; then
		mknod "$d/null" c 1 3
		mknod "$d/blockdev" b 7 200
		chown 1234:5678 "$d/small"
		chown -h 42:43 "$d/fast-link"
		chown 1000:1000 "$d/dir/sub"
	fi
	touch -d '2001-02-03 04:05:06.789' "$d/dir/indirect"
	touch -h -d '1999-12-31 23:59:59' "$d/fast-link"
	touch -d '2010-01-01 00:00:00.5' "$d/dir/sub/deeper"
}
