# Generates the demo HLS clip: cmake -DFFMPEG=... -DOUT=dir -P make_demo_clip.cmake
# Six seconds of ffmpeg's `testsrc` (a counter and colour bars, 320x180, 10 fps, H.264 baseline
# so every browser plays it) in three 2-second segments: about 40 KB. A failure is a warning:
# the build goes on and the demo stream reports itself unreachable.
file(MAKE_DIRECTORY ${OUT})
file(GLOB old ${OUT}/demo*)
if(old)
  file(REMOVE ${old})
endif()
execute_process(
  COMMAND ${FFMPEG} -hide_banner -loglevel error -nostdin -y
    -f lavfi -i testsrc=duration=6:size=320x180:rate=10
    -c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 20
    -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type vod
    -hls_segment_filename ${OUT}/demo%d.ts ${OUT}/demo.m3u8
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(WARNING "demo HLS clip not generated (ffmpeg: ${rc} ${err}); the demo stream will be unreachable")
endif()
file(TOUCH ${OUT}/demo.stamp)
