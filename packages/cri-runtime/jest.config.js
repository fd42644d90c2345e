// Integration tests start real containers; on a loaded 2-core machine a single test can take
// tens of seconds, so the per-test limit is raised above the preset's 30 s.
module.exports = { ...require('../../jest.preset.js')(__dirname), testTimeout: 180000 };
