// The part's 3D preview with three.js's own loaders (STL, 3MF, OBJ) and orbit controls, from npm
// (served by the app). An assembly (a 3MF's build items) shows every part in its own colour;
// the page's "show" list shows one part alone.
import * as THREE from "/vendor/three/three.module.js";
import { OrbitControls } from "/vendor/three/addons/controls/OrbitControls.js";

const LOADERS = {
  stl: async () => new (await import("/vendor/three/addons/loaders/STLLoader.js")).STLLoader(),
  "3mf": async () => new (await import("/vendor/three/addons/loaders/3MFLoader.js")).ThreeMFLoader(),
  obj: async () => new (await import("/vendor/three/addons/loaders/OBJLoader.js")).OBJLoader(),
};
const COLOURS = [0x2f6fdf, 0xdf7a2f, 0x2fae5f, 0xaf3fbf, 0xc8a020, 0x2fa8b8, 0xd04a60, 0x6a6a6a];

const box = document.getElementById("preview");
if (box) start(box).catch((err) => failed(box, err));

async function start(box) {
  const format = box.dataset.format || "stl";
  const loader = await LOADERS[format]();
  loader.load(box.dataset.src, (loaded) => shown(box, format, loaded), undefined, (err) => failed(box, err));
}

function failed(box, err) {
  const note = box.querySelector(".note");
  box.dataset.state = "failed";
  if (note) note.textContent = "the preview could not load the model: " + err;
}

function triangles(geometry) {
  return (geometry.index ? geometry.index.count : geometry.attributes.position.count) / 3;
}

// The parts as three.js objects: an STL is one geometry, a 3MF a group of one child per build
// item, an OBJ a group of one child per object or group that has faces (or the whole group
// when the OBJ is read as one part).
function partsOf(format, loaded, count) {
  if (format === "stl") {
    loaded.computeVertexNormals();
    return [new THREE.Mesh(loaded)];
  }
  if (count === 1) return [loaded]; // one part: an OBJ read whole, whatever its objects
  return loaded.children.filter((child) => {
    let count = 0;
    child.traverse((o) => { if (o.isMesh) count += triangles(o.geometry); });
    return count > 0;
  });
}

function shown(box, format, loaded) {
  const note = box.querySelector(".note");
  const parts = partsOf(format, loaded, Number(box.dataset.parts || "1"));
  const counts = parts.map((part) => {
    let count = 0;
    part.traverse((o) => { if (o.isMesh) count += triangles(o.geometry); });
    return count;
  });
  box.dataset.shownParts = String(parts.length);
  box.dataset.partTriangles = counts.join(",");
  box.dataset.triangles = String(counts.reduce((a, b) => a + b, 0));
  try {
    draw(box, format, parts);
    box.dataset.state = "shown";
    if (note) note.remove();
  } catch (err) {
    box.dataset.state = "no-webgl";
    if (note) note.textContent = "read " + box.dataset.triangles + " triangles; this browser cannot draw 3D (WebGL): " + err.message;
  }
  const choice = document.getElementById("preview-part");
  if (choice) {
    choice.addEventListener("change", () => {
      parts.forEach((part, i) => { part.visible = choice.value === "" || String(i) === choice.value; });
      box.dataset.showing = choice.value === "" ? "all" : choice.value;
    });
  }
}

function draw(box, format, parts) {
  const width = box.clientWidth || 480;
  const height = 360;
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height);
  box.appendChild(renderer.domElement);

  const model = new THREE.Group();
  parts.forEach((part, i) => {
    const material = new THREE.MeshStandardMaterial({
      color: COLOURS[i % COLOURS.length], metalness: 0.1, roughness: 0.6, side: THREE.DoubleSide,
    });
    part.traverse((o) => {
      if (!o.isMesh) return;
      o.material = material;
      if (!o.geometry.attributes.normal) o.geometry.computeVertexNormals();
    });
    model.add(part);
  });
  if (format !== "obj") model.rotation.x = -Math.PI / 2; // STL and 3MF are Z-up, three.js is Y-up
  const bounds = new THREE.Box3().setFromObject(model);
  const centre = bounds.getCenter(new THREE.Vector3());
  const size = bounds.getSize(new THREE.Vector3());
  model.position.sub(centre);
  const radius = Math.max(size.x, size.y, size.z) || 1;

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f5f7);
  scene.add(model);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8899aa, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.4);
  sun.position.set(radius, radius * 2, radius);
  scene.add(sun);

  const camera = new THREE.PerspectiveCamera(40, width / height, radius / 100, radius * 100);
  camera.position.set(radius * 1.4, radius * 1.1, radius * 1.6);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = true;
  renderer.setAnimationLoop(() => {
    controls.update();
    renderer.render(scene, camera);
  });
}
