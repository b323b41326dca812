// Links the whole core library with nothing else (see CMakeLists.txt): the build fails here if
// core code calls into libcurl, SQLite or any other adapter-only library.
int main() {
    return 0;
}
