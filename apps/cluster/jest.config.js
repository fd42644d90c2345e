// Suites run one at a time (maxWorkers 1): each brings up a cluster, and local clusters share
// the 10.244.0.0/16 and 10.250.0.0/24 ranges.
module.exports = { ...require('../../jest.preset.js')(__dirname), maxWorkers: 1 };
