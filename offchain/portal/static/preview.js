// The part's 3D preview: three.js's STL loader and orbit controls, from npm (served by the app).
import * as THREE from "/vendor/three/three.module.js";
import { STLLoader } from "/vendor/three/addons/loaders/STLLoader.js";
import { OrbitControls } from "/vendor/three/addons/controls/OrbitControls.js";

const box = document.getElementById("preview");
if (box) {
  const note = box.querySelector(".note");
  new STLLoader().load(
    box.dataset.src,
    (geometry) => {
      const triangles = geometry.attributes.position.count / 3;
      box.dataset.triangles = String(triangles);
      try {
        show(geometry);
        box.dataset.state = "shown";
        if (note) note.remove();
      } catch (err) {
        box.dataset.state = "no-webgl";
        if (note) note.textContent = "read " + triangles + " triangles; this browser cannot draw 3D (WebGL): " + err.message;
      }
    },
    undefined,
    (err) => {
      box.dataset.state = "failed";
      if (note) note.textContent = "the preview could not load the model: " + err;
    },
  );
}

function show(geometry) {
  const width = box.clientWidth || 480;
  const height = 360;
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height);
  box.appendChild(renderer.domElement);

  geometry.computeBoundingBox();
  geometry.center();
  geometry.computeVertexNormals();
  const size = new THREE.Vector3();
  geometry.boundingBox.getSize(size);
  const radius = Math.max(size.x, size.y, size.z) || 1;

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f5f7);
  const material = new THREE.MeshStandardMaterial({ color: 0x2f6fdf, metalness: 0.1, roughness: 0.6 });
  const mesh = new THREE.Mesh(geometry, material);
  mesh.rotation.x = -Math.PI / 2; // STL is Z-up, three.js is Y-up
  scene.add(mesh);
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
